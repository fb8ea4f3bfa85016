// Command checkout serves the hosted checkout: the merchant API, the
// shopper's pages and, in sandbox mode (the default), simulators of the
// payment providers and a demo shop. Configuration comes from CHECKOUT_*
// environment variables; see the README. `checkout merchants ...` manages
// merchants (operator.MerchantsCommand); `checkout users ...` manages their
// dashboard users (operator.UsersCommand); `checkout backup -to FILE` copies
// the database while the server runs (operator.BackupCommand).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/opencheckout/hostedcheckout/web"
	"github.com/opencheckout/hostedcheckout/web/operator"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "merchants":
			os.Exit(operator.MerchantsCommand(os.Args[2:], os.Getenv, os.Stdout, os.Stderr))
		case "users":
			os.Exit(operator.UsersCommand(os.Args[2:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
		case "backup":
			// A signal cancels the copy, which then leaves no partial file.
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			code := operator.BackupCommand(ctx, os.Args[2:], os.Getenv, os.Stdout, os.Stderr)
			stop()
			os.Exit(code)
		}
	}
	os.Exit(web.Serve(os.Getenv, os.Stderr))
}
