// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hookstream/hookstream-operator/internal/emulator"
)

// TestClientUnderEveryVariant runs the client's calls against the emulator serving each variant of the contract
// alone and all of them: every row decodes to the same values as under the default, and listing more than a page
// makes exactly the calls the list shape needs. Requests are still checked against the document; answers are
// not, as the variants differ from it on purpose.
func TestClientUnderEveryVariant(t *testing.T) {
	rows := append([]string{"default", emulator.VariantAll}, emulator.VariantNames()...)
	for _, name := range rows {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var variants []string
			if name != "default" {
				var err error
				if variants, err = emulator.ParseVariants(name); err != nil {
					t.Fatal(err)
				}
			}
			emu, baseURL := startEmulator(t, emulator.Options{Variants: variants}, nil)
			c, _ := newContractClient(t, baseURL, offContract("the variants answer outside the document on purpose"))
			clientLifecycle(t, c, emu, variants)
		})
	}
}

func clientLifecycle(t *testing.T, c *Client, emu *emulator.Server, variants []string) {
	ctx := context.Background()
	const token = "tok_live_abcdef123456"
	dst, err := c.CreateDestination(ctx, &CreateRequest{Name: "D", Slug: "d", Type: TypeHTTP, URL: "https://e.test/",
		AuthType: "bearer", AuthConfig: map[string]string{"token": token}, RetryEnabled: new(true),
		RetryIntervals: []int{5, 10}})
	if err != nil {
		t.Fatal(err)
	}
	src, err := c.CreateSource(ctx, &SourceCreateRequest{Name: "S", Slug: "s", Template: "github",
		VerificationSecret: new("whsec_0123456789abcdef"), IPAllowlist: []string{"192.0.2.0/24"}})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := c.CreateConnection(ctx, &ConnectionCreateRequest{SourceID: src.ID, DestinationID: dst.ID, Name: "route",
		FilterRules:         []FilterRule{{Field: "payload.action", Op: "eq", Value: json.RawMessage(`"opened"`)}},
		TransformExpression: new(`{"n": number}`)})
	if err != nil {
		t.Fatal(err)
	}

	checkDecoded(t, c, variants, dst, src, conn)
	if _, err := c.UpdateConnection(ctx, conn.ID, &ConnectionUpdateRequest{Description: Set("d")}); err != nil {
		t.Fatal(err)
	}
	listMoreThanAPage(t, c, emu, variants)

	if err := c.DeleteConnection(ctx, conn.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteSource(ctx, src.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteDestination(ctx, dst.ID); err != nil {
		t.Fatal(err)
	}
}

// checkDecoded reads the three rows back and checks that they decode to what was sent.
func checkDecoded(t *testing.T, c *Client, variants []string, dst *Destination, src *Source, conn *Connection) {
	t.Helper()
	ctx := context.Background()
	gotDst, err := c.GetDestination(ctx, dst.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(gotDst.RetryIntervals, []int{5, 10}) || gotDst.RetryEnabled == nil || !*gotDst.RetryEnabled ||
		gotDst.AuthConfig["token"] == "" {
		t.Errorf("destination decoded as intervals %v, retry %v, auth %d keys", gotDst.RetryIntervals, gotDst.RetryEnabled,
			len(gotDst.AuthConfig))
	}
	gotSrc, err := c.GetSource(ctx, src.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !gotSrc.VerificationEnabled || gotSrc.VerificationType == nil ||
		NormalizeVerificationType(*gotSrc.VerificationType) != "hmac_sha256" ||
		!slices.Equal(gotSrc.IPAllowlist, []string{"192.0.2.0/24"}) {
		t.Errorf("source decoded as verification %v %v, allowlist %v", gotSrc.VerificationEnabled, gotSrc.VerificationType,
			gotSrc.IPAllowlist)
	}
	wantIngest := c.BaseURL() + "/ingest/" + src.ID
	if slices.Contains(variants, emulator.VariantIngestURLField) {
		wantIngest = strings.TrimSuffix(c.BaseURL(), "/v1") + "/in/" + src.ID
	}
	if got := gotSrc.IngestURL(c.BaseURL()); got != wantIngest {
		t.Errorf("ingest URL %s, want %s", got, wantIngest)
	}
	gotConn, err := c.GetConnection(ctx, conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(gotConn.FilterRules) != 1 || string(gotConn.FilterRules[0].Value) != `"opened"` || !gotConn.Enabled ||
		!gotConn.TransformEnabled || gotConn.Dangling() {
		t.Errorf("connection decoded as %+v", gotConn)
	}
}

// listMoreThanAPage lists more than a page of sources: two list calls, or one when lists are not paged.
func listMoreThanAPage(t *testing.T, c *Client, emu *emulator.Server, variants []string) {
	t.Helper()
	ctx := context.Background()
	for i := range MaxPageSize {
		if _, err := c.CreateSource(ctx, &SourceCreateRequest{Name: "S", Slug: fmt.Sprintf("s-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	emu.ResetStats()
	n := 0
	for _, err := range c.AllSources(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	wantCalls := int64(2)
	if slices.Contains(variants, emulator.VariantSinglePage) {
		wantCalls = 1
	}
	if calls := emu.Stats().Count(emulator.RouteListSources); n != MaxPageSize+1 || calls != wantCalls {
		t.Errorf("listed %d sources in %d calls, want %d in %d", n, calls, MaxPageSize+1, wantCalls)
	}
}
