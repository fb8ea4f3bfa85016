package handlers

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// checkJSONKeys walks a JSON body against the type it will be decoded
// into and refuses what encoding/json would silently accept: an object key
// given twice (the last would win) at any depth, and a key that is not a
// field's exact name (encoding/json matches names case-insensitively and
// with Unicode folding, so "Amount" or "ſuccess_url" would set amount or
// success_url). Map keys (metadata) are free-form but never duplicated.
func checkJSONKeys(body []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	return walkJSON(dec, t, "")
}

// walkJSON reads one value from dec; t is the Go type it decodes into (nil
// when free-form), path its name in errors.
func walkJSON(dec *json.Decoder, t reflect.Type, path string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return nil // the decoder that follows reports syntax errors
	}
	switch tok {
	case json.Delim('{'):
		fields := map[string]reflect.Type{}
		structType := t != nil && t.Kind() == reflect.Struct
		if structType {
			for i := range t.NumField() {
				f := t.Field(i)
				name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				if name == "-" || !f.IsExported() {
					continue
				}
				if name == "" {
					name = f.Name
				}
				fields[name] = f.Type
			}
		}
		var elem reflect.Type
		if t != nil && t.Kind() == reflect.Map {
			elem = t.Elem()
		}
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil
			}
			key, _ := kt.(string)
			at := joinPath(path, key)
			if seen[key] {
				return checkout.InvalidParam(at, "%s is given more than once", at)
			}
			seen[key] = true
			next := elem
			if structType {
				ft, ok := fields[key]
				if !ok {
					return checkout.InvalidParam(at, "%s is not a known parameter (names are case-sensitive)", at)
				}
				next = ft
			}
			if err := walkJSON(dec, next, at); err != nil {
				return err
			}
		}
		_, _ = dec.Token() // '}'
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := walkJSON(dec, elem, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
		_, _ = dec.Token() // ']'
	}
	return nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
