// Package eth holds the two Ethereum values a Livepeer client handles: a
// 20-byte account Address (payer, orchestrator, ticket recipient) and a
// secp256k1 signing key (*ecdsa.PrivateKey from the standard library).
//
// Keys sign BYOC job headers (livepeer.Config.SigningKey); addresses appear
// in orchestrator info (discovery.Info.Address), signer answers and payment
// tickets. Signing itself happens inside the SDK with go-livepeer's rules
// (Ethereum personal-sign over keccak-256, 65-byte r‖s‖v with v = 27/28);
// keys from go-ethereum's crypto.GenerateKey / HexToECDSA work too.
//
// Everything here is a value or a pure function: safe for concurrent use.
package eth
