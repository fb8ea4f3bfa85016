// Package pgtest gives tests a PostgreSQL of their own: a throwaway cluster
// (initdb into a temporary directory, a free port on 127.0.0.1, fsync on,
// removed when stopped), or the server CHECKOUT_TEST_DATABASE_URL names.
// Each test gets a fresh database on it. With CI set, a PostgreSQL that
// cannot be started fails the tests instead of skipping them.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// Cluster is a PostgreSQL server for tests.
type Cluster struct {
	// URL is the server's address as its superuser, on database postgres.
	URL  string
	dir  string   // the throwaway cluster's directory ("" for an external server)
	ctl  []string // the command that runs pg_ctl (as the postgres user when we are root)
	data string
	n    atomic.Int64
}

// Start starts a throwaway cluster, or uses CHECKOUT_TEST_DATABASE_URL.
func Start() (*Cluster, error) {
	if u := os.Getenv("CHECKOUT_TEST_DATABASE_URL"); u != "" {
		return &Cluster{URL: u}, nil
	}
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "checkout-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, data: filepath.Join(dir, "data")}
	var as []string
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root: as its own user.
		pg, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: running as root needs the postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		as = []string{"runuser", "-u", "postgres", "--"}
	}
	run := func(name string, args ...string) error {
		cmd := append(append(append([]string{}, as...), filepath.Join(bin, name)), args...)
		out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("pgtest: %s: %v: %s", name, err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	if err := run("initdb", "-D", c.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c.ctl = append(append([]string{}, as...), filepath.Join(bin, "pg_ctl"))
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200", port, dir)
	if err := run("pg_ctl", "-D", c.data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%w\n%s", err, log)
	}
	c.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return c, nil
}

// Stop stops a throwaway cluster and removes it.
func (c *Cluster) Stop() {
	if c == nil || c.dir == "" {
		return
	}
	cmd := append(append([]string{}, c.ctl...), "-D", c.data, "-m", "immediate", "-w", "stop")
	_ = exec.Command(cmd[0], cmd[1:]...).Run()
	os.RemoveAll(c.dir)
}

// Dir is the throwaway cluster's directory ("" for an external server):
// its data files, for tests that scan what reached the disk.
func (c *Cluster) Dir() string { return c.dir }

// CreateDatabase makes an empty database called name and returns its URL.
func (c *Cluster) CreateDatabase(name string) (string, error) {
	admin, err := sql.Open("pgx", c.URL)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		return "", fmt.Errorf("pgtest: create database: %w", err)
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// NewDatabase makes an empty database for t, dropped when t ends, and
// returns its URL.
func (c *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("checkout_%d_%d", os.Getpid(), c.n.Add(1))
	u, err := c.CreateDatabase(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", c.URL)
		if err != nil {
			return
		}
		defer a.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = a.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
	})
	return u
}

// Main is a package's TestMain with a cluster: it starts one, runs the
// tests, stops it. Without PostgreSQL it fails with CI set, and otherwise
// runs the tests with cluster nil (they skip the PostgreSQL cases).
func Main(m *testing.M, cluster **Cluster) int {
	c, err := Start()
	if err != nil {
		if os.Getenv("CI") != "" {
			fmt.Fprintln(os.Stderr, "pgtest: PostgreSQL could not be started (CI is set, so this fails):", err)
			return 1
		}
		fmt.Fprintln(os.Stderr, "pgtest: PostgreSQL could not be started; its tests will be skipped:", err)
	}
	*cluster = c
	defer c.Stop()
	return m.Run()
}

// For is a cluster for one test, stopped when it ends. Without PostgreSQL
// the test fails with CI set, and is skipped otherwise.
func For(t testing.TB) *Cluster {
	t.Helper()
	c, err := Start()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL could not be started (CI is set, so this fails): %v", err)
		}
		t.Skip("no PostgreSQL:", err)
	}
	t.Cleanup(c.Stop)
	return c
}

// binDir is the newest PostgreSQL's binaries (Debian's layout), or where
// initdb is on the PATH.
func binDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("pgtest: PostgreSQL's initdb was not found (apt-get install postgresql, or set CHECKOUT_TEST_DATABASE_URL)")
}

func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
