// Package openapi holds the merchant API's OpenAPI 3.1 document
// (openapi.yaml, embedded in the binary). It is parsed and validated once;
// the server serves it as JSON (JSON), reads each operation's query
// parameters from it (QueryParams), and the tests validate every request
// and answer against it (Check, CheckWebhook), so that the document cannot
// drift from the server.
package openapi

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

//go:embed openapi.yaml
var source []byte

// Doc is a parsed and validated OpenAPI document.
type Doc struct {
	t      *openapi3.T
	json   map[string]any // the document as JSON values, to serve
	router routers.Router // finds a request's operation, whatever its host

	schemas compiledSchemas // the bodies' schemas, compiled on first use (Check)
}

var load = sync.OnceValues(func() (*Doc, error) { return Parse(source) })

// Load is the embedded document, parsed and validated on the first call.
func Load() (*Doc, error) { return load() }

// Parse reads and validates an OpenAPI 3.1 document: its structure, its
// references and schemas (kin-openapi), and our own rules: every operation
// has an operationId, and a path's parameters are named as the route
// table's (":id" for "{id}").
func Parse(data []byte) (*Doc, error) {
	loader := openapi3.NewLoader()
	t, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("openapi: the document does not parse: %w", err)
	}
	if !t.IsOpenAPI31OrLater() {
		return nil, fmt.Errorf("openapi: the document is OpenAPI %s, not 3.1", t.OpenAPI)
	}
	if err := t.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi: the document is not valid: %w", err)
	}
	for path, item := range t.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				return nil, fmt.Errorf("openapi: %s %s has no operationId", method, path)
			}
		}
	}
	for name, item := range t.Webhooks {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				return nil, fmt.Errorf("openapi: webhook %s (%s) has no operationId", name, method)
			}
		}
	}
	raw, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	d := &Doc{t: t}
	if err := json.Unmarshal(raw, &d.json); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	// The router matches paths on any host: a copy of the document whose
	// only server is "/".
	anyHost := *t
	anyHost.Servers = openapi3.Servers{{URL: "/"}}
	if d.router, err = gorillamux.NewRouter(&anyHost); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return d, nil
}

// JSON is the document as served at /openapi.json: JSON, with serverURL
// (the server's own public URL) as its only server.
func (d *Doc) JSON(serverURL string) ([]byte, error) {
	out := make(map[string]any, len(d.json))
	for k, v := range d.json {
		out[k] = v
	}
	out["servers"] = []any{map[string]any{"url": serverURL}}
	return json.Marshal(out)
}

// Operation names one operation: its method and its path in the route
// table's form ("/v1/payments/:id").
type Operation struct {
	Method, Path string
}

// QueryParams is, for every operation, the names of the query parameters
// it takes (its own and its path's): what the server accepts in a query
// string, refusing every other name.
func (d *Doc) QueryParams() map[Operation][]string {
	out := map[Operation][]string{}
	for path, item := range d.t.Paths.Map() {
		for method, op := range item.Operations() {
			names := []string{}
			for _, ps := range []openapi3.Parameters{item.Parameters, op.Parameters} {
				for _, p := range ps {
					if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
						names = append(names, p.Value.Name)
					}
				}
			}
			slices.Sort(names)
			out[Operation{method, RoutePath(path)}] = slices.Compact(names)
		}
	}
	return out
}

// Operations lists every operation of the document, by route path then
// method.
func (d *Doc) Operations() []Operation {
	var out []Operation
	for path, item := range d.t.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, Operation{method, RoutePath(path)})
		}
	}
	slices.SortFunc(out, func(a, b Operation) int {
		return strings.Compare(a.Path+" "+a.Method, b.Path+" "+b.Method)
	})
	return out
}

// WebhookTypes lists the event types of the document's webhooks section.
func (d *Doc) WebhookTypes() []string {
	var out []string
	for name := range d.t.Webhooks {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

var templateParam = regexp.MustCompile(`\{([^{}/]+)\}`)

// RoutePath turns an OpenAPI path template ("/v1/payments/{id}") into the
// route table's form ("/v1/payments/:id").
func RoutePath(template string) string {
	return templateParam.ReplaceAllString(template, ":$1")
}

// errorf is an error of this package.
func errorf(format string, args ...any) error { return fmt.Errorf("openapi: "+format, args...) }

var errNoAuth = errors.New("no Bearer key in Authorization")

// Source is the embedded document as written (YAML), for tests that make a
// variant of it.
func Source() []byte { return slices.Clone(source) }
