// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaURL is where a source's json_schema sits for the compiler; references resolve against it.
const schemaURL = "https://hookstream.invalid/sources/json_schema"

// supportedDrafts are the $schema values hookstream documents (drafts 4, 6 and 7), without scheme and "#".
var supportedDrafts = map[string]*jsonschema.Draft{
	"json-schema.org/draft-04/schema": jsonschema.Draft4,
	"json-schema.org/draft-06/schema": jsonschema.Draft6,
	"json-schema.org/draft-07/schema": jsonschema.Draft7,
}

// noLoader refuses every reference outside the schema document: the emulator reads no files and makes no
// requests on behalf of a schema.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("the emulator resolves no references outside the schema (%s)", url)
}

// compileSchema compiles a JSON Schema document of draft 4, 6 or 7; without $schema it is draft 7.
func compileSchema(doc any) (*jsonschema.Schema, error) {
	object, ok := doc.(map[string]any)
	if !ok {
		return nil, errors.New("a schema must be an object")
	}
	draft := jsonschema.Draft7
	if value, present := object["$schema"]; present {
		name, _ := value.(string)
		name = strings.TrimSuffix(name, "#")
		name = strings.TrimPrefix(strings.TrimPrefix(name, "http://"), "https://")
		if draft = supportedDrafts[name]; draft == nil {
			return nil, fmt.Errorf("$schema %v is not draft 4, 6 or 7", value)
		}
	}
	compiler := jsonschema.NewCompiler()
	compiler.DefaultDraft(draft)
	compiler.UseLoader(noLoader{})
	if err := compiler.AddResource(schemaURL, doc); err != nil {
		return nil, err
	}
	return compiler.Compile(schemaURL)
}

// checkJSONSchema checks that a json_schema value is a schema the ingest path can use, and returns its
// stored encoding.
func checkJSONSchema(field string, raw json.RawMessage) (string, error) {
	object, ok := decodeObject(raw)
	if !ok {
		return "", invalidField("'%s' must be an object", field)
	}
	if _, err := compileSchema(object); err != nil {
		return "", invalidField("'%s' is not a usable JSON Schema (draft 4, 6 or 7): %s", field, schemaErrorText(err))
	}
	return encodeJSON(object), nil
}

// schemaErrorText shortens a compile error to one line: the first problem the meta-schema found, such as
// "at '/type': value must be one of …", or the error's first line.
func schemaErrorText(err error) string {
	if invalid, ok := errors.AsType[*jsonschema.SchemaValidationError](err); ok {
		if validation, ok := errors.AsType[*jsonschema.ValidationError](invalid.Err); ok {
			for len(validation.Causes) > 0 {
				validation = validation.Causes[0]
			}
			err = validation
		}
	}
	text, _, _ := strings.Cut(err.Error(), "\n")
	return text
}

// validationMessages lists the failures of one validation, one line each, such as
// "at '/amount': got string, want number", ordered by where they are in the payload (the library's order
// follows map iteration).
func validationMessages(err *jsonschema.ValidationError) []string {
	units := slices.Clone(err.BasicOutput().Errors)
	slices.SortStableFunc(units, func(a, b jsonschema.OutputUnit) int {
		return strings.Compare(a.InstanceLocation, b.InstanceLocation)
	})
	var messages []string
	for _, unit := range units {
		if unit.Error != nil {
			messages = append(messages, fmt.Sprintf("at '%s': %s", unit.InstanceLocation, unit.Error))
		}
	}
	return messages
}

// maxCachedSchemas bounds the compiled schemas kept for the ingest path.
const maxCachedSchemas = 256

// schemaCache keeps compiled schemas by their stored encoding, so that ingest compiles each one once.
type schemaCache struct {
	mu      sync.Mutex
	schemas map[string]*jsonschema.Schema
}

func (c *schemaCache) get(encoded string) (*jsonschema.Schema, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if schema, ok := c.schemas[encoded]; ok {
		return schema, nil
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(encoded))
	if err != nil {
		return nil, err
	}
	schema, err := compileSchema(doc)
	if err != nil {
		return nil, err
	}
	if c.schemas == nil || len(c.schemas) >= maxCachedSchemas {
		c.schemas = map[string]*jsonschema.Schema{}
	}
	c.schemas[encoded] = schema
	return schema, nil
}

// validatePayload checks a request body against a source's schema and returns what fails; a body that is
// not JSON fails as a whole.
func (c *schemaCache) validatePayload(encodedSchema string, body []byte) ([]string, error) {
	schema, err := c.get(encodedSchema)
	if err != nil {
		return nil, err
	}
	instance, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return []string{"the body is not JSON"}, nil
	}
	err = schema.Validate(instance)
	if validation, ok := errors.AsType[*jsonschema.ValidationError](err); ok {
		return validationMessages(validation), nil
	}
	return nil, err
}
