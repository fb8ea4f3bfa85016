package operator

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
	"github.com/opencheckout/hostedcheckout/web"
)

// UsersCommand runs `checkout users create|list|remove|set-password|disable-totp` on the
// database of the configuration (CHECKOUT_DB): the people who sign in to a
// merchant's dashboard. A password is read from standard input (its first
// line) when -password-stdin is given; otherwise one is generated and
// printed once. Passwords are stored only as argon2id hashes. It returns
// the process exit code.
func UsersCommand(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	usage := func() int {
		fmt.Fprintln(stderr, `usage:
  checkout users create -merchant mer_... -email ADDRESS [-role admin|support] [-password-stdin]
  checkout users list [-merchant mer_...]
  checkout users remove -email ADDRESS
  checkout users set-password -email ADDRESS [-password-stdin]
  checkout users disable-totp -email ADDRESS
Without -password-stdin a password is generated and printed once. A new
password ends every dashboard session the user had. disable-totp turns off
a user's two-step sign-in (a lost phone): they then sign in with their
password alone and may set it up again.`)
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
	fs := flag.NewFlagSet("users "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	merchant := fs.String("merchant", "", "the merchant the user belongs to (mer_...)")
	email := fs.String("email", "", "the user's email address, their sign-in name")
	role := fs.String("role", string(checkout.RoleAdmin), "admin (everything) or support (read and refund; no keys, no settings)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	switch args[0] {
	case "create", "list", "remove", "set-password", "disable-totp":
	default:
		return usage()
	}
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		return usage()
	}
	password := ""
	if *fromStdin {
		line, err := bufio.NewReader(io.LimitReader(stdin, checkout.MaxPasswordLength+2)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			fmt.Fprintln(stderr, "checkout: reading the password:", err)
			return 1
		}
		if password = strings.TrimRight(line, "\r\n"); password == "" {
			fmt.Fprintln(stderr, "checkout: -password-stdin: standard input holds no password")
			return 2
		}
	}
	ctx := context.Background()
	db, err := cfg.OpenStore(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "checkout: database:", err)
		return 1
	}
	defer db.Close()
	svc := &checkout.Service{Store: db, IDs: checkout.RandomIDs{}, Now: time.Now}

	fail := func(err error) int {
		var e *checkout.Error
		if errors.As(err, &e) && e.Code != checkout.EInternal {
			fmt.Fprintln(stderr, "checkout:", e.Message)
			return 2
		}
		fmt.Fprintln(stderr, "checkout:", err)
		return 1
	}
	switch args[0] {
	case "create":
		if *merchant == "" || *email == "" {
			fmt.Fprintln(stderr, "checkout: -merchant and -email are required")
			return 2
		}
		u, generated, err := svc.CreateDashboardUser(ctx, checkout.NewDashboardUser{MerchantID: *merchant, Email: *email,
			Role: checkout.DashboardRole(*role), Password: password, Actor: "operator"})
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "created dashboard user %s (%s, %s) of merchant %s\n", u.Email, u.ID, u.Role, u.MerchantID)
		if generated != "" {
			fmt.Fprintf(stdout, "password (shown once): %s\n", generated)
		}
	case "list":
		users, err := svc.DashboardUsers(ctx, *merchant)
		if err != nil {
			return fail(err)
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tMERCHANT\tEMAIL\tROLE\tCREATED")
		for _, u := range users {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", u.ID, u.MerchantID, u.Email, u.Role, u.CreatedAt.Format(time.RFC3339))
		}
		_ = w.Flush()
	case "remove":
		if *email == "" {
			fmt.Fprintln(stderr, "checkout: -email is required")
			return 2
		}
		u, err := svc.RemoveDashboardUser(ctx, "", *email, "operator")
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "removed dashboard user %s (%s) of merchant %s\n", u.Email, u.ID, u.MerchantID)
	case "set-password":
		if *email == "" {
			fmt.Fprintln(stderr, "checkout: -email is required")
			return 2
		}
		generated, err := svc.ChangeDashboardPassword(ctx, "", *email, password, "operator")
		if err != nil {
			return fail(err)
		}
		fmt.Fprintln(stdout, "password changed; the user's dashboard sessions have ended")
		if generated != "" {
			fmt.Fprintf(stdout, "password (shown once): %s\n", generated)
		}
	case "disable-totp":
		if *email == "" {
			fmt.Fprintln(stderr, "checkout: -email is required")
			return 2
		}
		u, err := svc.DisableTOTP(ctx, "", *email, "operator")
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "two-step sign-in turned off for dashboard user %s (%s) of merchant %s\n", u.Email, u.ID, u.MerchantID)
	}
	return 0
}
