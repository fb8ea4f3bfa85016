package web

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlite"
)

// MerchantsCommand runs `checkout merchants create|list|set-provider|rotate-key`
// on the database of the configuration (CHECKOUT_DB): merchant management
// for live mode. list and rotate-key need the database only; create and
// set-provider also check the default provider against the providers the
// configuration runs, so run them with the server's environment. Secrets
// (the secret key, the webhook secret) are printed once and stored only as
// a hash (the key) or for signing (the webhook secret). It returns the
// process exit code.
func MerchantsCommand(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	usage := func() int {
		fmt.Fprintln(stderr, `usage:
  checkout merchants create -name NAME -return-origin https://shop.example [-return-origin ...]
                            [-embed-origin https://shop.example ...] [-webhook-url https://shop.example/hooks]
                            [-provider worldline] [-test]
  checkout merchants list
  checkout merchants set-provider -id mer_... -provider worldline
  checkout merchants rotate-key -id mer_...`)
		return 2
	}
	if len(args) == 0 {
		return usage()
	}
	cfg, err := readConfig(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "checkout: configuration:", err)
		return 2
	}
	ctx := context.Background()
	db, err := sqlite.OpenWith(ctx, cfg.DBPath, cfg.sqliteOptions())
	if err != nil {
		fmt.Fprintln(stderr, "checkout: database:", err)
		return 1
	}
	defer db.Close()
	svc := &checkout.Service{Store: db, IDs: checkout.RandomIDs{}, Now: time.Now, Sandbox: cfg.Mode != ModeLive}

	switch args[0] {
	case "create":
		fs := flag.NewFlagSet("merchants create", flag.ContinueOnError)
		fs.SetOutput(stderr)
		name := fs.String("name", "", "the merchant's name, shown to shoppers")
		provider := fs.String("provider", cfg.DefaultProvider, "the default provider of its sessions")
		webhook := fs.String("webhook-url", "", "where its webhooks go")
		test := fs.Bool("test", false, "a test merchant (sk_test_ key) rather than a live one")
		var returns, embeds origins
		fs.Var(&returns, "return-origin", "an origin shoppers may be sent back to (repeatable; at least one)")
		fs.Var(&embeds, "embed-origin", "an origin that may frame the checkout (repeatable)")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		if strings.TrimSpace(*name) == "" || len(returns) == 0 {
			fmt.Fprintln(stderr, "checkout: -name and at least one -return-origin are required")
			return 2
		}
		// The name is shown to shoppers: the one text rule, and a length
		// a page header can hold.
		if err := checkout.CheckText("name", *name); err != nil || utf8.RuneCountInString(*name) > 100 {
			fmt.Fprintln(stderr, "checkout: -name must be at most 100 characters, valid UTF-8, without control or invisible formatting characters")
			return 2
		}
		if cfg.Mode == ModeLive {
			for _, o := range append(slices.Clone(returns), embeds...) {
				if !strings.HasPrefix(o, "https://") {
					fmt.Fprintf(stderr, "checkout: %s: http origins (localhost) are for sandbox mode only\n", o)
					return 2
				}
			}
		}
		if msg := cfg.providerRefusal(*provider); msg != "" {
			fmt.Fprintln(stderr, "checkout: -provider "+msg)
			return 2
		}
		key := checkout.NewSecretKey(!*test)
		m := &checkout.Merchant{ID: checkout.RandomIDs{}.NewID(checkout.PrefixMerchant), Name: strings.TrimSpace(*name),
			APIKeyHash: checkout.HashAPIKey(key), DefaultProvider: *provider, Live: !*test,
			ReturnOrigins: returns, EmbedOrigins: embeds, CreatedAt: time.Now().UTC()}
		if err := db.SaveMerchant(ctx, m); err != nil {
			fmt.Fprintln(stderr, "checkout: saving the merchant:", err)
			return 1
		}
		fmt.Fprintf(stdout, "merchant:   %s (%s)\nsecret key: %s\n", m.ID, m.Name, key)
		if *webhook != "" {
			e, err := svc.CreateWebhookEndpoint(ctx, m, *webhook, "", nil)
			if err != nil {
				fmt.Fprintln(stderr, "checkout: webhook endpoint:", err)
				return 2
			}
			fmt.Fprintf(stdout, "webhooks:   %s\nwebhook secret: %s\n", e.URL, e.Secret)
		}
		fmt.Fprintln(stdout, "(the secrets are shown only now; keep them safe)")
		return 0
	case "list":
		ms, err := db.Merchants(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "checkout:", err)
			return 1
		}
		w := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tNAME\tMODE\tPROVIDER\tRETURN ORIGINS\tEMBED ORIGINS")
		for _, m := range ms {
			mode := "test"
			if m.Live {
				mode = "live"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Name, mode, m.DefaultProvider,
				strings.Join(m.ReturnOrigins, ","), strings.Join(m.EmbedOrigins, ","))
		}
		w.Flush()
		return 0
	case "set-provider":
		fs := flag.NewFlagSet("merchants set-provider", flag.ContinueOnError)
		fs.SetOutput(stderr)
		id := fs.String("id", "", "the merchant")
		provider := fs.String("provider", "", "its new default provider")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		if msg := cfg.providerRefusal(*provider); msg != "" {
			fmt.Fprintln(stderr, "checkout: -provider "+msg)
			return 2
		}
		m, code := merchantByID(ctx, db, *id, stderr)
		if m == nil {
			return code
		}
		m.DefaultProvider = *provider
		if err := db.SaveMerchant(ctx, m); err != nil {
			fmt.Fprintln(stderr, "checkout: saving the merchant:", err)
			return 1
		}
		fmt.Fprintf(stdout, "merchant:   %s (%s)\nprovider:   %s\n", m.ID, m.Name, m.DefaultProvider)
		return 0
	case "rotate-key":
		fs := flag.NewFlagSet("merchants rotate-key", flag.ContinueOnError)
		fs.SetOutput(stderr)
		id := fs.String("id", "", "the merchant")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		m, code := merchantByID(ctx, db, *id, stderr)
		if m == nil {
			return code
		}
		key := checkout.NewSecretKey(m.Live)
		m.APIKeyHash = checkout.HashAPIKey(key)
		if err := db.SaveMerchant(ctx, m); err != nil {
			fmt.Fprintln(stderr, "checkout:", err)
			return 1
		}
		fmt.Fprintf(stdout, "merchant:   %s\nsecret key: %s\n(the old key no longer works; this one is shown only now)\n", m.ID, key)
		return 0
	}
	return usage()
}

// origins is a repeatable flag of normalized origins.
type origins []string

func (o *origins) String() string { return strings.Join(*o, ",") }
func (o *origins) Set(v string) error {
	n, err := checkout.NormalizeOrigin(v)
	if err != nil {
		return err
	}
	*o = append(*o, n)
	return nil
}

// providerRefusal says why name cannot be a merchant's default provider on
// this server ("" when it can): not a provider, or not configured here, so
// that every session without a provider of its own would fail.
func (c *Config) providerRefusal(name string) string {
	if _, ok := c.liveProviderVars()[name]; !ok {
		return fmt.Sprintf("%q is not a provider (payorder, worldline, antom, alipayplus, bbmsl)", name)
	}
	if !c.ConfiguredProviders()[name] {
		return fmt.Sprintf("%q is not configured on this server (configured: %s)", name, strings.Join(c.configuredNames(), ", "))
	}
	return ""
}

// merchantByID reads a merchant for a subcommand: nil and the exit code
// (2 for no such merchant, 1 for a database error) when it cannot.
func merchantByID(ctx context.Context, db *sqlite.DB, id string, stderr io.Writer) (*checkout.Merchant, int) {
	m, err := db.Merchant(ctx, id)
	if errors.Is(err, checkout.ErrNotFound) {
		fmt.Fprintf(stderr, "checkout: no merchant %q\n", id)
		return nil, 2
	} else if err != nil {
		fmt.Fprintln(stderr, "checkout:", err)
		return nil, 1
	}
	return m, 0
}
