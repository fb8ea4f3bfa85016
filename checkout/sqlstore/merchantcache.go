package sqlstore

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// merchantSnapshotAge is how long a page may show a merchant as read
// before: another instance's change (branding, embedding origins) shows
// within it.
const merchantSnapshotAge = time.Second

// merchantCache keeps the merchants pages read (MerchantSnapshot). Every
// write of a merchant through this store forgets it and bumps gen, so that
// a read that began before the write does not keep the old row.
type merchantCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[string]snapshot
}

type snapshot struct {
	m  *checkout.Merchant
	at time.Time
}

// MerchantSnapshot implements checkout.Store.
func (d *DB) MerchantSnapshot(ctx context.Context, id string) (*checkout.Merchant, error) {
	c := &d.merchants
	c.mu.Lock()
	if s, ok := c.m[id]; ok && time.Since(s.at) < merchantSnapshotAge {
		c.mu.Unlock()
		return copyMerchant(s.m), nil
	}
	gen := c.gen
	c.mu.Unlock()
	m, err := d.Merchant(ctx, id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen == gen {
		if c.m == nil || len(c.m) > 10000 {
			c.m = map[string]snapshot{}
		}
		c.m[id] = snapshot{m: copyMerchant(m), at: time.Now()}
	}
	c.mu.Unlock()
	return m, nil
}

// forgetMerchant drops merchant id's snapshot after a write.
func (d *DB) forgetMerchant(id string) {
	c := &d.merchants
	c.mu.Lock()
	c.gen++
	delete(c.m, id)
	c.mu.Unlock()
}

// copyMerchant copies what a caller could change in place.
func copyMerchant(m *checkout.Merchant) *checkout.Merchant {
	c := *m
	c.ReturnOrigins, c.EmbedOrigins = slices.Clone(m.ReturnOrigins), slices.Clone(m.EmbedOrigins)
	if m.Logo != nil {
		l := *m.Logo
		c.Logo = &l
	}
	return &c
}
