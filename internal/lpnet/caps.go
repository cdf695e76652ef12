package lpnet

// CapabilitiesFor builds the Capabilities message of a request for one
// capability id and, optionally, one model, the way go-livepeer's gateway
// (server/ai_session.go) and the Python SDK (build_capabilities) do: bit id
// set in the bitstring, capacities[id] = 1 and, with a model,
// constraints.PerCapability[id].models[model] = {} (an empty model
// constraint). A negative id gives nil. Each call returns a new message.
func CapabilitiesFor(id int32, model string) *Capabilities {
	if id < 0 {
		return nil
	}
	bits := make([]uint64, int(id)/64+1)
	bits[int(id)/64] |= 1 << (uint(id) % 64)
	pc := &Capabilities{
		Bitstring:  bits,
		Capacities: map[uint32]uint32{uint32(id): 1},
	}
	if model != "" {
		pc.Constraints = &Capabilities_Constraints{
			PerCapability: map[uint32]*Capabilities_CapabilityConstraints{
				uint32(id): {Models: map[string]*Capabilities_CapabilityConstraints_ModelConstraint{
					model: {},
				}},
			},
		}
	}
	return pc
}
