package sandboxkit

import "sync"

// Tally adds up count over the values of m, under mu: how every sandbox
// answers "how many charges" (a test's question) from its ledger. count
// returns 0 for the values it does not want.
func Tally[K comparable, V any](mu sync.Locker, m map[K]V, count func(V) int) int {
	mu.Lock()
	defer mu.Unlock()
	n := 0
	for _, v := range m {
		n += count(v)
	}
	return n
}

// TallyOne is count of m[key] under mu; 0 when m has no key.
func TallyOne[K comparable, V any](mu sync.Locker, m map[K]V, key K, count func(V) int) int {
	mu.Lock()
	defer mu.Unlock()
	if v, ok := m[key]; ok {
		return count(v)
	}
	return 0
}

// Once is 1 when charged holds: a ledger entry charged once at most.
func Once(charged bool) int {
	if charged {
		return 1
	}
	return 0
}
