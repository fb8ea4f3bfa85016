package sqlstore_test

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout/sqlstore"
	"github.com/opencheckout/hostedcheckout/handlers/ratelimit"
)

// The shared Counter gives the in-memory Limiter's answers: the same
// random sequence of Allow and Blocked calls (three keys, two limits and
// windows, times moving on by random steps) gets the same answers and the
// same waits (to the millisecond the database keeps), on SQLite and on
// PostgreSQL; namespaces do not see each other's keys; Sweep forgets only
// what is past the window.
func TestCounterMatchesTheInMemoryLimiter(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *sqlstore.DB{"sqlite": func(tb testing.TB) *sqlstore.DB { return MustOpen(tb) },
		"postgres": func(tb testing.TB) *sqlstore.DB { return MustOpenPostgres(tb) }} {
		t.Run(name, func(t *testing.T) {
			d := open(t)
			shared, other := d.Counter("test"), d.Counter("other")
			var mem ratelimit.Limiter
			rng := rand.New(rand.NewPCG(1, 2))
			at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
			keys := []string{"ip:1", "ip:2", "card:x"}
			for i := range 400 {
				at = at.Add(time.Duration(rng.IntN(4000)) * time.Millisecond)
				key := keys[rng.IntN(len(keys))]
				limit, window := 3, 10*time.Second
				if key == "card:x" {
					limit, window = 5, 30*time.Second
				}
				if rng.IntN(4) == 0 {
					b1, w1 := mem.Blocked(key, limit, window, at)
					b2, w2 := shared.Blocked(key, limit, window, at)
					if b1 != b2 || w1 != w2 {
						t.Fatalf("call %d Blocked(%s): memory %v %v, store %v %v", i, key, b1, w1, b2, w2)
					}
					continue
				}
				a1, w1 := mem.Allow(key, limit, window, at)
				a2, w2 := shared.Allow(key, limit, window, at)
				if a1 != a2 || w1 != w2 {
					t.Fatalf("call %d Allow(%s): memory %v %v, store %v %v", i, key, a1, w1, a2, w2)
				}
				if i%50 == 0 {
					shared.Sweep(at)
				}
			}
			// Another namespace counts from nothing.
			if ok, _ := other.Allow("ip:1", 1, time.Hour, at); !ok {
				t.Fatal("a namespace saw another's events")
			}
		})
	}
}

// Twenty concurrent requests against a limit of five: five pass, on both
// stores (instances sharing a database share the count).
func TestCounterIsSharedUnderConcurrency(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *sqlstore.DB{"sqlite": func(tb testing.TB) *sqlstore.DB { return MustOpen(tb) },
		"postgres": func(tb testing.TB) *sqlstore.DB { return MustOpenPostgres(tb) }} {
		t.Run(name, func(t *testing.T) {
			d := open(t)
			// Two "instances": two counters on one database.
			a, b := d.Counter("api"), d.Counter("api")
			now := time.Now()
			var passed atomic.Int32
			var wg sync.WaitGroup
			for i := range 20 {
				c := a
				if i%2 == 1 {
					c = b
				}
				wg.Go(func() {
					if ok, _ := c.Allow("merchant:m", 5, time.Minute, now); ok {
						passed.Add(1)
					}
				})
			}
			wg.Wait()
			if n := passed.Load(); n != 5 {
				t.Fatalf("%d of 20 passed a limit of 5", n)
			}
		})
	}
}
