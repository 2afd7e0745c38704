// Command gcpfakes serves Google's in-memory fakes of Cloud Pub/Sub (pstest) and Cloud
// Bigtable (bttest) on loopback, for the project's test environment. It is test tooling only:
// nothing is persisted and nothing is authenticated.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	"cloud.google.com/go/bigtable/bttest"
	"cloud.google.com/go/pubsub/v2/pstest"
)

func main() {
	pubsubPort := flag.Int("pubsub-port", -1, "serve the Pub/Sub fake on this loopback port (0: any free port, -1: off)")
	bigtablePort := flag.Int("bigtable-port", -1, "serve the Bigtable fake on this loopback port (0: any free port, -1: off)")
	flag.Parse()

	if *pubsubPort >= 0 {
		srv := pstest.NewServerWithPort(*pubsubPort)
		defer srv.Close()
		fmt.Printf("pubsub listening on %s\n", srv.Addr)
	}
	if *bigtablePort >= 0 {
		srv, err := bttest.NewServer(fmt.Sprintf("127.0.0.1:%d", *bigtablePort))
		if err != nil {
			log.Fatalf("bigtable fake: %v", err)
		}
		defer srv.Close()
		fmt.Printf("bigtable listening on %s\n", srv.Addr)
	}
	if *pubsubPort < 0 && *bigtablePort < 0 {
		log.Fatal("nothing to serve: give -pubsub-port and/or -bigtable-port")
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}
