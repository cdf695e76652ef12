package livepeertest_test

import (
	"fmt"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

// Start a network, point your application at n.Token() (or at SignerURL and
// DiscoveryURL), and close it at the end of the test.
func Example() {
	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer n.Close()
	fmt.Println("orchestrators:", len(n.OrchestratorAddrs()))
	fmt.Println("signer running:", n.SignerURL() != "")
	// Output:
	// orchestrators: 2
	// signer running: true
}
