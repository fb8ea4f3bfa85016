package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// maxCheckedBody bounds what Check reads of one request body: well past
// the API's own 64 KiB limit, so that an oversized body is still seen as
// oversized by the server.
const maxCheckedBody = 1 << 20

// Check wraps next, a whole server, so that every request to /v1/... and
// the answer it gets are validated against the document; report is called
// once per mismatch, with the operation, the status and the reason. It is
// for tests (it holds each request and answer in memory): the server never
// installs it by itself.
//
// The rules:
//   - an answer must match the document: its status is listed for the
//     operation, its headers and body match that status's;
//   - a request to a path and method the document does not list is a
//     mismatch unless the server refused it as such (404 or 405, with the
//     error object);
//   - a request the document refuses (a wrong field, a missing key, a query
//     parameter it does not list) must be refused by the server (4xx):
//     tests send bad requests on purpose, and an answer below 400 to one
//     means the document and the server disagree on what is valid.
func (d *Doc) Check(next http.Handler, report func(error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1" && !strings.HasPrefix(r.URL.Path, "/v1/") {
			next.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, maxCheckedBody))
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
		req := r.Clone(context.Background())
		req.Body = io.NopCloser(bytes.NewReader(body))
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		if rec.header == nil {
			rec.header = w.Header().Clone()
		}
		if err := d.check(req, rec.status, rec.header, rec.body.Bytes()); err != nil {
			report(err)
		}
	})
}

// check validates one exchange; nil when it matches the document.
// kin-openapi's openapi3filter checks the route, the security, the
// parameters, the status and the headers; the bodies are checked against
// the document's schemas compiled once (openapi3filter compiles a JSON
// Schema 2020-12 validator on every call, some milliseconds per answer).
func (d *Doc) check(req *http.Request, status int, header http.Header, body []byte) error {
	ctx := context.Background()
	route, pathParams, err := d.router.FindRoute(req)
	if err != nil {
		if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
			return errorf("%s %s is not an operation of the document, yet the server answered %d", req.Method, req.URL.Path, status)
		}
		if req.Method == http.MethodHead {
			return nil
		}
		if err := d.checkBody("#/components/schemas/Error", body); err != nil {
			return errorf("%s %s (no such operation) answered %d with a body that is not the error object: %v", req.Method, req.URL.Path, status, err)
		}
		return nil
	}
	name := fmt.Sprintf("%s (%s %s)", route.Operation.OperationID, req.Method, route.Path)
	op := "#/paths/" + pointerToken(route.Path) + "/" + strings.ToLower(req.Method)
	reqBody, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: bearerKey, SkipSettingDefaults: true, MultiError: true,
			ExcludeRequestBody: true}}
	in.Options.WithCustomSchemaErrorFunc(schemaReason)
	requestErr := openapi3filter.ValidateRequest(ctx, in)
	if requestErr == nil {
		requestErr = d.checkRequestBody(route.Operation.RequestBody, op, req.Header, reqBody)
	}
	if requestErr == nil {
		if q := unknownQuery(route, req); q != "" {
			requestErr = fmt.Errorf("query parameter %q is not one of the operation's", q)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, ExcludeResponseBody: true}}
	out.Options.WithCustomSchemaErrorFunc(schemaReason)
	responseErr := openapi3filter.ValidateResponse(ctx, out)
	if responseErr == nil && req.Method != http.MethodHead {
		responseErr = d.checkResponseBody(route.Operation, op, status, header, body)
	}
	if responseErr != nil {
		return errorf("%s: the answer %d does not match the document: %v\n  body: %s", name, status, responseErr, clip(body))
	}
	if requestErr != nil && status < 400 {
		return errorf("%s: the server answered %d to a request the document refuses: %v", name, status, requestErr)
	}
	return nil
}

// checkRequestBody checks a request's body against the operation's
// request body (op is the operation's JSON pointer in the document).
func (d *Doc) checkRequestBody(rb *openapi3.RequestBodyRef, op string, header http.Header, body []byte) error {
	empty := len(bytes.TrimSpace(body)) == 0
	if rb == nil || rb.Value == nil {
		if !empty {
			return errors.New("a body, where the operation takes none")
		}
		return nil
	}
	if empty {
		if rb.Value.Required {
			return errors.New("no body, where the operation requires one")
		}
		return nil
	}
	// A body without a Content-Type is read as JSON, as the server does.
	mt, params := "application/json", map[string]string{}
	if ct := header.Get("Content-Type"); ct != "" {
		var err error
		if mt, params, err = mime.ParseMediaType(ct); err != nil {
			return fmt.Errorf("a body of type %q, which does not parse", ct)
		}
	}
	media, ok := rb.Value.Content[mt]
	if !ok {
		return fmt.Errorf("a body of type %q, where the operation takes %s", mt, strings.Join(slices.Sorted(maps.Keys(rb.Value.Content)), " or "))
	}
	at := op + "/requestBody"
	if rb.Ref != "" {
		at = rb.Ref
	}
	at += "/content/" + pointerToken(mt) + "/schema"
	switch mt {
	case "application/json":
	case "multipart/form-data":
		var err error
		if body, err = formObject(body, params["boundary"], media.Schema); err != nil {
			return fmt.Errorf("request body: %w", err)
		}
	default:
		return fmt.Errorf("the check cannot read a %s body", mt)
	}
	if err := d.checkBody(at, body); err != nil {
		return fmt.Errorf("request body: %w", err)
	}
	return nil
}

// formObject is a multipart/form-data body as the JSON object its schema
// describes: each part's value a string (a file's bytes too), under its
// name; the parts of an array property (repeated parts) an array, and so
// a repeated part of any other property, which its schema then refuses.
func formObject(body []byte, boundary string, schema *openapi3.SchemaRef) ([]byte, error) {
	if boundary == "" {
		return nil, errors.New("a multipart/form-data body without a boundary")
	}
	values := map[string][]any{}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("the multipart/form-data body does not parse: %w", err)
		}
		v, err := io.ReadAll(p)
		if err != nil {
			return nil, fmt.Errorf("the multipart/form-data body does not parse: %w", err)
		}
		values[p.FormName()] = append(values[p.FormName()], string(v))
	}
	obj := make(map[string]any, len(values))
	for name, vs := range values {
		var prop *openapi3.SchemaRef
		if schema != nil && schema.Value != nil {
			prop = schema.Value.Properties[name]
		}
		if len(vs) == 1 && (prop == nil || prop.Value == nil || !prop.Value.Type.Is("array")) {
			obj[name] = vs[0]
		} else {
			obj[name] = vs
		}
	}
	return json.Marshal(obj)
}

// checkResponseBody checks an answer's body against the schema the
// operation documents for its status.
func (d *Doc) checkResponseBody(operation *openapi3.Operation, op string, status int, header http.Header, body []byte) error {
	key := strconv.Itoa(status)
	ref := operation.Responses.Value(key)
	if ref == nil {
		key = key[:1] + "XX"
		ref = operation.Responses.Value(key)
	}
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("status %d is not documented", status)
	}
	if ref.Value.Content.Get("application/json") == nil {
		if len(body) > 0 {
			return errors.New("a body, where the document has none")
		}
		return nil
	}
	if !isJSON(header.Get("Content-Type")) {
		return fmt.Errorf("Content-Type %q, not application/json", header.Get("Content-Type"))
	}
	at := op + "/responses/" + key
	if ref.Ref != "" {
		at = ref.Ref
	}
	return d.checkBody(at+"/content/application~1json/schema", body)
}

// checkBody validates a JSON body against the schema at the JSON pointer
// at ("#/components/schemas/Error"), compiled on first use.
func (d *Doc) checkBody(at string, body []byte) error {
	schema, err := d.schemas.compile(d, at)
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if err := schema.Validate(v); err != nil {
		return err
	}
	return nil
}

// compiledSchemas holds the document's schemas compiled as JSON Schema
// 2020-12 (formats asserted), by JSON pointer.
type compiledSchemas struct {
	mu       sync.Mutex
	compiler *jsonschema.Compiler
	byPtr    map[string]*jsonschema.Schema
}

const docURL = "https://openapi.invalid/openapi.json"

func (c *compiledSchemas) compile(d *Doc, at string) (*jsonschema.Schema, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.byPtr[at]; ok {
		return s, nil
	}
	if c.compiler == nil {
		raw, err := json.Marshal(d.json)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		compiler := jsonschema.NewCompiler()
		compiler.DefaultDraft(jsonschema.Draft2020)
		compiler.AssertFormat()
		if err := compiler.AddResource(docURL, doc); err != nil {
			return nil, err
		}
		c.compiler, c.byPtr = compiler, map[string]*jsonschema.Schema{}
	}
	s, err := c.compiler.Compile(docURL + at)
	if err != nil {
		return nil, fmt.Errorf("the schema at %s does not compile: %w", at, err)
	}
	c.byPtr[at] = s
	return s, nil
}

// pointerToken escapes a JSON pointer token (RFC 6901).
func pointerToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// isJSON reports whether a Content-Type is application/json.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

// CheckWebhook validates one webhook as a merchant's endpoint receives it
// (its headers and its JSON body) against the webhooks section, found by
// the body's "type".
func (d *Doc) CheckWebhook(header http.Header, body []byte) error {
	var env struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return errorf("a webhook body that is not a JSON object: %v", err)
	}
	item := d.t.Webhooks[env.Type]
	if item == nil || item.Post == nil {
		return errorf("webhook type %q is not in the document's webhooks", env.Type)
	}
	req, err := http.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	if err != nil {
		return errorf("%v", err)
	}
	req.Header = header.Clone()
	route := &routers.Route{Spec: d.t, Path: env.Type, PathItem: item, Method: http.MethodPost, Operation: item.Post}
	in := &openapi3filter.RequestValidationInput{Request: req, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, SkipSettingDefaults: true,
			MultiError: true, ExcludeRequestBody: true}}
	in.Options.WithCustomSchemaErrorFunc(schemaReason)
	err = openapi3filter.ValidateRequest(context.Background(), in)
	if err == nil {
		err = d.checkRequestBody(item.Post.RequestBody, "#/webhooks/"+pointerToken(env.Type)+"/post", header, body)
	}
	if err != nil {
		return errorf("webhook %s does not match the document: %v\n  body: %s", env.Type, err, clip(body))
	}
	return nil
}

// bearerKey is the security check of the secretKey scheme: the request
// carries "Authorization: Bearer <something>". Whether the key is right is
// the server's business.
func bearerKey(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	scheme, key, ok := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(key) == "" {
		return errNoAuth
	}
	return nil
}

// unknownQuery is the first query parameter of req the operation does not
// list, or "".
func unknownQuery(route *routers.Route, req *http.Request) string {
	var known []string
	for _, ps := range []openapi3.Parameters{route.PathItem.Parameters, route.Operation.Parameters} {
		for _, p := range ps {
			if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
				known = append(known, p.Value.Name)
			}
		}
	}
	for name := range req.URL.Query() {
		if !slices.Contains(known, name) {
			return name
		}
	}
	return ""
}

// schemaReason keeps a schema error to where and why, without the schema
// and the value dumped in full (the body is shown once, clipped).
func schemaReason(err *openapi3.SchemaError) string {
	at := "/" + strings.Join(err.JSONPointer(), "/")
	return fmt.Sprintf("at %s: %s", at, err.Reason)
}

// clip is a body for a message: at most 2 KiB of it.
func clip(b []byte) string {
	if len(b) > 2048 {
		return string(b[:2048]) + "…"
	}
	return string(b)
}

// recorder passes an answer through and keeps a copy of its status,
// headers and body.
type recorder struct {
	http.ResponseWriter
	status int
	header http.Header
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status, r.header = status, r.ResponseWriter.Header().Clone()
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	if r.body.Len() < maxCheckedBody {
		r.body.Write(b)
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush passes a flush on.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
