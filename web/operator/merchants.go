// Package operator holds the operator commands of the checkout binary:
// `checkout merchants ...` (MerchantsCommand) and `checkout backup`
// (BackupCommand). They read the same configuration as the server
// (web.ReadConfig) and work on its database directly; main dispatches to
// them.
package operator

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
	"github.com/opencheckout/hostedcheckout/handlers"
	"github.com/opencheckout/hostedcheckout/web"
)

// MerchantsCommand runs `checkout merchants
// create|list|update|set-provider|rotate-key|rotate-return-secret` on the database of the
// configuration (CHECKOUT_DB): merchant management for live mode. list,
// update and rotate-key need the database only; create and set-provider
// also check the default provider against the providers the configuration
// runs, so run them with the server's environment. Branding (display
// name, brand colour, logo) is checked in full before anything is
// written. Secrets
// (the secret key, the webhook secret) are printed once and stored only as
// a hash (the key) or for signing (the webhook secret). It returns the
// process exit code.
func MerchantsCommand(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	usage := func() int {
		fmt.Fprintln(stderr, `usage:
  checkout merchants create -name NAME -return-origin https://shop.example [-return-origin ...]
                            [-embed-origin https://shop.example ...] [-webhook-url https://shop.example/hooks]
                            [-provider PROVIDER] [-test]
                            [-display-name NAME] [-brand-color '#RRGGBB'] [-logo FILE]
  checkout merchants update -id mer_... [-display-name NAME] [-brand-color '#RRGGBB'|none] [-logo FILE|none]
                            [-support-email ADDRESS|none] [-support-url https://...|none]
  checkout merchants list
  checkout merchants set-provider -id mer_... -provider PROVIDER
  checkout merchants rotate-key -id mer_... [-expire-previous-in 24h]
  checkout merchants rotate-return-secret -id mer_... [-expire-previous-in SECONDS]
PROVIDER is one of: `+web.Providers.String())
		return 2
	}
	if len(args) == 0 {
		return usage()
	}
	cfg, err := web.ReadConfig(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "checkout: configuration:", err)
		return 2
	}
	ctx := context.Background()
	db, err := cfg.OpenStore(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "checkout: database:", err)
		return 1
	}
	defer db.Close()
	svc := &checkout.Service{Store: db, IDs: checkout.RandomIDs{}, Now: time.Now, Sandbox: cfg.Mode != web.ModeLive,
		// merchant.updated events show the logo's URL as the server would.
		LogoURL: func(l *checkout.Logo) string { return cfg.BaseURL + handlers.LogoURL(l) }}

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
		brand := addBrandFlags(fs)
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
		if cfg.Mode == web.ModeLive {
			for _, o := range append(slices.Clone(returns), embeds...) {
				if !strings.HasPrefix(o, "https://") {
					fmt.Fprintf(stderr, "checkout: %s: http origins (localhost) are for sandbox mode only\n", o)
					return 2
				}
			}
		}
		if msg := cfg.ProviderRefusal(*provider); msg != "" {
			fmt.Fprintln(stderr, "checkout: -provider "+msg)
			return 2
		}
		key := checkout.NewSecretKey(!*test)
		m := &checkout.Merchant{ID: checkout.RandomIDs{}.NewID(checkout.PrefixMerchant), Name: strings.TrimSpace(*name),
			APIKeyHash: checkout.HashAPIKey(key), DefaultProvider: *provider, Live: !*test,
			ReturnOrigins: returns, EmbedOrigins: embeds, CreatedAt: time.Now().UTC()}
		m.ReturnSecret = checkout.NewReturnSecret()
		if msg := brand.apply(fs, m); msg != "" {
			fmt.Fprintln(stderr, "checkout: "+msg)
			return 2
		}
		if err := db.SaveMerchant(ctx, m); err != nil {
			fmt.Fprintln(stderr, "checkout: saving the merchant:", err)
			return 1
		}
		fmt.Fprintf(stdout, "merchant:   %s (%s)\nsecret key: %s\n", m.ID, m.Name, key)
		fmt.Fprintf(stdout, "return secret: %s\n", m.ReturnSecret)
		if m.DisplayName != "" || m.BrandColor != "" || m.Logo != nil {
			printBrand(stdout, m)
		}
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
	case "update":
		fs := flag.NewFlagSet("merchants update", flag.ContinueOnError)
		fs.SetOutput(stderr)
		id := fs.String("id", "", "the merchant")
		brand := addBrandFlags(fs)
		supportEmail := fs.String("support-email", "", "where its shoppers write about a payment, shown on its pages (none: no address)")
		supportURL := fs.String("support-url", "", "its help page for shoppers, https, shown on its pages (none: no page)")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		if fs.NArg() > 0 {
			fmt.Fprintf(stderr, "checkout: unexpected %q (flags come as -name value)\n", fs.Arg(0))
			return 2
		}
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		if !brand.anyGiven(fs) && !given["support-email"] && !given["support-url"] {
			fmt.Fprintln(stderr, "checkout: nothing to update: give -display-name, -brand-color, -logo, -support-email or -support-url")
			return 2
		}
		m, code := merchantByID(ctx, db, *id, stderr)
		if m == nil {
			return code
		}
		// The API's PATCH /v1/merchant path: every value checked before
		// anything is written, and a merchant.updated event.
		ch, msg := brand.changes(fs)
		if msg != "" {
			fmt.Fprintln(stderr, "checkout: "+msg)
			return 2
		}
		if given["support-email"] {
			ch.SupportEmail = noneAsEmpty(*supportEmail)
		}
		if given["support-url"] {
			ch.SupportURL = noneAsEmpty(*supportURL)
		}
		next, _, err := svc.UpdateMerchant(ctx, m, ch)
		if err != nil {
			var e *checkout.Error
			if errors.As(err, &e) && e.Code == checkout.EInvalid {
				flagOf := map[string]string{"display_name": "-display-name", "accent_color": "-brand-color", "logo": "-logo " + *brand.logo,
					"support_email": "-support-email", "support_url": "-support-url"}
				fmt.Fprintf(stderr, "checkout: %s: %s\n", flagOf[e.Param], e.Message)
				return 2
			}
			fmt.Fprintln(stderr, "checkout: saving the merchant:", err)
			return 1
		}
		fmt.Fprintf(stdout, "merchant:   %s (%s)\n", next.ID, next.Name)
		printBrand(stdout, next)
		fmt.Fprintf(stdout, "support:      %s\n", orNone(strings.TrimSpace(next.SupportEmail+" "+next.SupportURL)))
		return 0
	case "set-provider":
		fs := flag.NewFlagSet("merchants set-provider", flag.ContinueOnError)
		fs.SetOutput(stderr)
		id := fs.String("id", "", "the merchant")
		provider := fs.String("provider", "", "its new default provider")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		if msg := cfg.ProviderRefusal(*provider); msg != "" {
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
		overlap := fs.Duration("expire-previous-in", checkout.DefaultKeyOverlap,
			"how long the old key keeps working next to the new one, so that it can be replaced without a failed request (0: it stops now; at most 168h)")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		seconds := int64(*overlap / time.Second)
		if *overlap%time.Second != 0 {
			seconds = -1 // whole seconds only, as the API takes them
		}
		d, err := checkout.KeyOverlap(&seconds)
		if err != nil {
			fmt.Fprintln(stderr, "checkout: -expire-previous-in must be from 0s to 168h in whole seconds")
			return 2
		}
		m, code := merchantByID(ctx, db, *id, stderr)
		if m == nil {
			return code
		}
		// The API's POST /v1/merchant/keys/rotate path: a compare-and-set
		// on the key read here, and a merchant.key_rotated event.
		r, err := svc.RotateSecretKey(ctx, m, m.APIKeyHash, d)
		if err != nil {
			fmt.Fprintln(stderr, "checkout:", errorMessage(err))
			return 1
		}
		old := "the old key no longer works"
		if d > 0 {
			old = "the old key keeps working until " + r.PreviousExpiresAt.Format(time.RFC3339)
		}
		fmt.Fprintf(stdout, "merchant:   %s\nsecret key: %s\n(%s; this one is shown only now)\n", m.ID, r.Secret, old)
		return 0
	case "rotate-return-secret":
		fs := flag.NewFlagSet("merchants rotate-return-secret", flag.ContinueOnError)
		fs.SetOutput(stderr)
		id := fs.String("id", "", "the merchant")
		overlap := fs.Int64("expire-previous-in", int64(checkout.DefaultReturnSecretOverlap/time.Second),
			"seconds the old secret keeps signing returns next to the new one (0: none; at most 7 days)")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		m, code := merchantByID(ctx, db, *id, stderr)
		if m == nil {
			return code
		}
		m, err := svc.RotateReturnSecret(ctx, m, overlap)
		if e := (*checkout.Error)(nil); errors.As(err, &e) && e.Code == checkout.EInvalid {
			fmt.Fprintln(stderr, "checkout: -expire-previous-in: "+e.Message)
			return 2
		} else if err != nil {
			fmt.Fprintln(stderr, "checkout:", errorMessage(err))
			return 1
		}
		fmt.Fprintf(stdout, "merchant:      %s\nreturn secret: %s\n", m.ID, m.ReturnSecret)
		if m.PreviousReturnSecretExpiresAt.After(time.Now()) {
			fmt.Fprintf(stdout, "(the old secret signs next to it until %s; this one is shown only now)\n", m.PreviousReturnSecretExpiresAt.UTC().Format(time.RFC3339))
		} else {
			fmt.Fprintln(stdout, "(the old secret no longer signs; this one is shown only now)")
		}
		return 0
	}
	return usage()
}

// brandFlags are the branding flags of merchants create and update.
type brandFlags struct {
	displayName, color, logo *string
}

func addBrandFlags(fs *flag.FlagSet) brandFlags {
	return brandFlags{
		displayName: fs.String("display-name", "", "the name shoppers see, if not -name (at most 100 characters; \"\" shows -name again)"),
		color: fs.String("brand-color", "", "the accent colour of its pages, #RRGGBB, with a contrast of at least 4.5:1 "+
			"with the white button text (none: ours again)"),
		logo: fs.String("logo", "", "a PNG, JPEG or WebP file of at most 100 KB and 2048x2048 pixels, shown on its pages (none: no logo)"),
	}
}

// anyGiven reports whether a branding flag is on the command line.
func (b brandFlags) anyGiven(fs *flag.FlagSet) bool {
	given := false
	fs.Visit(func(f *flag.Flag) {
		given = given || f.Name == "display-name" || f.Name == "brand-color" || f.Name == "logo"
	})
	return given
}

// apply checks the branding flags on the command line (only those: the
// rest of m's branding stays) and sets them on m. On a refusal it returns
// what to tell the operator, and m is unchanged.
func (b brandFlags) apply(flags *flag.FlagSet, m *checkout.Merchant) string {
	given := map[string]bool{}
	flags.Visit(func(f *flag.Flag) { given[f.Name] = true })
	next := *m
	if given["display-name"] {
		name, err := checkout.ParseDisplayName(*b.displayName)
		if err != nil {
			return "-display-name: " + errorMessage(err)
		}
		next.DisplayName = name
	}
	if given["brand-color"] {
		next.BrandColor = ""
		if *b.color != "none" {
			c, err := checkout.ParseBrandColor(*b.color)
			if err != nil {
				return "-brand-color: " + errorMessage(err)
			}
			next.BrandColor = c
		}
	}
	if given["logo"] {
		next.Logo = nil
		if *b.logo != "none" {
			l, err := readLogo(*b.logo)
			var pathErr *fs.PathError
			if errors.As(err, &pathErr) {
				err = pathErr.Err // the file name is said once
			}
			if err != nil {
				return "-logo " + *b.logo + ": " + errorMessage(err)
			}
			next.Logo = l
		}
	}
	*m = next
	return ""
}

// changes are the branding flags on the command line as the changes
// Service.UpdateMerchant checks (the logo file read, not yet checked); on
// a file that cannot be read it returns what to tell the operator.
func (b brandFlags) changes(flags *flag.FlagSet) (checkout.MerchantChanges, string) {
	var ch checkout.MerchantChanges
	flags.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "display-name":
			ch.DisplayName = b.displayName
		case "brand-color":
			ch.AccentColor = noneAsEmpty(*b.color)
		}
	})
	given := false
	flags.Visit(func(f *flag.Flag) { given = given || f.Name == "logo" })
	if given {
		body := []byte{}
		if *b.logo != "none" {
			var err error
			if body, err = readLogoFile(*b.logo); err != nil {
				var pathErr *fs.PathError
				if errors.As(err, &pathErr) {
					err = pathErr.Err // the file name is said once
				}
				return ch, "-logo " + *b.logo + ": " + errorMessage(err)
			}
		}
		ch.Logo = &body
	}
	return ch, ""
}

// noneAsEmpty is a flag's value with "none" meaning no value.
func noneAsEmpty(v string) *string {
	if v == "none" {
		v = ""
	}
	return &v
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// readLogo reads and checks a logo file, reading no more of it than a
// logo may have.
func readLogo(path string) (*checkout.Logo, error) {
	body, err := readLogoFile(path)
	if err != nil {
		return nil, err
	}
	return checkout.ParseLogo(body)
}

// readLogoFile reads a logo file, no more of it than a logo may have.
func readLogoFile(path string) ([]byte, error) {
	if path == "" {
		return nil, errors.New("give a file, or none for no logo")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if st.Size() > checkout.MaxLogoBytes {
		return nil, fmt.Errorf("the logo is %d bytes; a logo is at most %d bytes (100 KB)", st.Size(), checkout.MaxLogoBytes)
	}
	return io.ReadAll(io.LimitReader(f, checkout.MaxLogoBytes+1))
}

// errorMessage is a domain error's message without its code and field.
func errorMessage(err error) string {
	var e *checkout.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// printBrand shows a merchant's branding as shoppers get it.
func printBrand(w io.Writer, m *checkout.Merchant) {
	name := m.DisplayName
	if name == "" {
		name = "(its name: " + m.Name + ")"
	}
	color := "(none: the checkout's own)"
	if m.BrandColor != "" {
		ratio, _ := checkout.ContrastRatio(m.BrandColor, checkout.ButtonTextColor)
		color = fmt.Sprintf("%s (contrast %.2f:1 with the button text)", m.BrandColor, ratio)
	}
	logo := "(none)"
	if m.Logo != nil {
		logo = fmt.Sprintf("%s (%s, %dx%d)", handlers.LogoURL(m.Logo), m.Logo.ContentType, m.Logo.Width, m.Logo.Height)
	}
	fmt.Fprintf(w, "display name: %s\nbrand color:  %s\nlogo:         %s\n", name, color, logo)
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

// merchantByID reads a merchant for a subcommand: nil and the exit code
// (2 for no such merchant, 1 for a database error) when it cannot.
func merchantByID(ctx context.Context, db *sqlstore.DB, id string, stderr io.Writer) (*checkout.Merchant, int) {
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
