package workflow

// Registry lists the workflows the playground serves, by slug.
type Registry struct {
	list []*Workflow
}

// NewRegistry returns a registry of ws (in display order).
func NewRegistry(ws ...*Workflow) *Registry { return &Registry{list: ws} }

// Default is the playground's registry: StreamDiffusion.
func Default() *Registry { return NewRegistry(StreamDiffusion()) }

// All returns the workflows in display order.
func (r *Registry) All() []*Workflow { return r.list }

// Get returns the workflow with this slug.
func (r *Registry) Get(slug string) (*Workflow, bool) {
	for _, w := range r.list {
		if w.Slug == slug {
			return w, true
		}
	}
	return nil, false
}
