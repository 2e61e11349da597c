// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hostile

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

// The manifests the rows are written in: small YAML builders, so that a row reads as what a user would apply.

const validURL = "https://receiver.example.com/hooks"

// object is a hookstream object named hostile with the spec (YAML, unindented).
func object(kind, spec string) string {
	return "apiVersion: hookstream.io/v1alpha1\nkind: " + kind + "\nmetadata: {name: hostile}\nspec:\n" +
		indent(spec) + "\n"
}

// paused is object with the hookstream.io/paused annotation: nothing of it is ever written to hookstream.
func paused(kind, spec string) string {
	return "apiVersion: hookstream.io/v1alpha1\nkind: " + kind +
		"\nmetadata:\n  name: hostile\n  annotations: {hookstream.io/paused: \"true\"}\nspec:\n" + indent(spec) + "\n"
}

func destination(spec string) string { return object("Destination", spec) }
func source(spec string) string      { return object("Source", spec) }
func connection(spec string) string  { return object("Connection", spec) }

// httpDestination is a Destination delivering to validURL with the extra http fields (YAML, unindented).
func httpDestination(httpFields string) string {
	return destination("http:\n  url: " + validURL + "\n" + indent(httpFields))
}

// secret is a Secret of text values.
func secret(name string, data map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Secret\nmetadata: {name: %s}\nstringData:\n", name)
	for k, v := range data {
		fmt.Fprintf(&b, "  %s: %q\n", k, v)
	}
	return b.String()
}

// secretBytes is a Secret holding raw bytes under one key.
func secretBytes(name, key string, value []byte) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata: {name: %s}\ndata:\n  %s: %s\n", name, key,
		base64.StdEncoding.EncodeToString(value))
}

// labelledSecret is secret with the label that --secret-reference-label asks for.
func labelledSecret(name string, data map[string]string) string {
	return strings.Replace(secret(name, data), "metadata: {name: "+name+"}",
		"metadata:\n  name: "+name+"\n  labels: {"+sendableLabel+": \"true\"}", 1)
}

func configMap(name, key, value string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata:\n  %s: %q\n", name, key, value)
}

// docs joins YAML documents.
func docs(parts ...string) string { return strings.Join(parts, "---\n") }

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "\n")
}

// repeat is n YAML lines made by line from each index.
func repeat(n int, line func(i int) string) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(line(i))
		b.WriteByte('\n')
	}
	return b.String()
}

// The remote fixtures: what a row's hookstream project holds before its objects are applied.

// remoteEnds creates a source and a destination for a Connection to route between: ${SOURCE_ID} and
// ${DESTINATION_ID}.
func remoteEnds(ctx context.Context, hs *hookstream.Client) (map[string]string, error) {
	src, err := hs.CreateSource(ctx, &hookstream.SourceCreateRequest{Name: "fixture", Slug: "fixture-source"})
	if err != nil {
		return nil, err
	}
	dst, err := hs.CreateDestination(ctx, &hookstream.CreateRequest{Name: "fixture", Slug: "fixture-destination",
		Type: hookstream.TypeHTTP, URL: validURL})
	if err != nil {
		return nil, err
	}
	return map[string]string{"SOURCE_ID": src.ID, "DESTINATION_ID": dst.ID}, nil
}

// remoteDestinationOnly creates a destination: ${DESTINATION_ID}.
func remoteDestinationOnly(ctx context.Context, hs *hookstream.Client) (map[string]string, error) {
	dst, err := hs.CreateDestination(ctx, &hookstream.CreateRequest{Name: "fixture", Slug: "fixture-destination",
		Type: hookstream.TypeHTTP, URL: validURL})
	if err != nil {
		return nil, err
	}
	return map[string]string{"DESTINATION_ID": dst.ID}, nil
}

// takenDestinationSlug creates a destination of slug "taken".
func takenDestinationSlug(ctx context.Context, hs *hookstream.Client) (map[string]string, error) {
	_, err := hs.CreateDestination(ctx, &hookstream.CreateRequest{Name: "someone else's", Slug: "taken",
		Type: hookstream.TypeHTTP, URL: validURL})
	return nil, err
}

// takenSourceSlug creates a source of slug "taken".
func takenSourceSlug(ctx context.Context, hs *hookstream.Client) (map[string]string, error) {
	_, err := hs.CreateSource(ctx, &hookstream.SourceCreateRequest{Name: "someone else's", Slug: "taken"})
	return nil, err
}

// adoptable creates a destination for the row to adopt: ${ADOPT_ID}.
func adoptable(ctx context.Context, hs *hookstream.Client) (map[string]string, error) {
	dst, err := hs.CreateDestination(ctx, &hookstream.CreateRequest{Name: "hostile", Slug: "adopted",
		Type: hookstream.TypeHTTP, URL: validURL})
	if err != nil {
		return nil, err
	}
	return map[string]string{"ADOPT_ID": dst.ID}, nil
}

// deleteAdopted deletes the destination adoptable made, outside the operator.
func deleteAdopted(ctx context.Context, hs *hookstream.Client, values map[string]string) error {
	return hs.DeleteDestination(ctx, values["ADOPT_ID"])
}
