package static

import (
	"crypto/sha512"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Every asset is in the inventory with a reason, and the inventory names
// no file that is not served; each asset's integrity value is the SHA-384
// of the bytes served at its URL.
func TestInventoryAndIntegrity(t *testing.T) {
	for name, a := range byName {
		if Inventory[name] == "" {
			t.Errorf("%s is served but not in the inventory", name)
		}
		rec := httptest.NewRecorder()
		Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, a.url, nil))
		sum := sha512.Sum384(rec.Body.Bytes())
		if rec.Code != http.StatusOK || Integrity(name) != "sha384-"+base64.StdEncoding.EncodeToString(sum[:]) {
			t.Errorf("%s: %d, integrity %s", name, rec.Code, Integrity(name))
		}
	}
	for name := range Inventory {
		if _, ok := byName[name]; !ok {
			t.Errorf("the inventory lists %s, which is not served", name)
		}
	}
}
