// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// URL policies of Destinations (--destination-url-policy).
const (
	// URLPolicyAllowAll accepts every URL; one naming an internal address gets a Warning event.
	URLPolicyAllowAll = "allow-all"
	// URLPolicyDenyInternal refuses URLs that name loopback, link-local (cloud metadata included), private or
	// unspecified addresses, literally or through DNS.
	URLPolicyDenyInternal = "deny-internal"
)

// URLPolicies lists the values of --destination-url-policy.
var URLPolicies = []string{URLPolicyAllowAll, URLPolicyDenyInternal}

// dnsTimeout bounds the lookup of one Destination's host under deny-internal.
const dnsTimeout = 5 * time.Second

// URLPolicy decides which hosts a Destination may deliver to; the zero value allows all.
type URLPolicy struct {
	denyInternal bool
	// lookup resolves a host name; net.DefaultResolver's in the manager.
	lookup func(ctx context.Context, host string) ([]netip.Addr, error)
}

// NewURLPolicy returns the policy of a --destination-url-policy value (see URLPolicies).
func NewURLPolicy(name string) (URLPolicy, error) {
	switch name {
	case "", URLPolicyAllowAll:
		return URLPolicy{}, nil
	case URLPolicyDenyInternal:
		return URLPolicy{denyInternal: true, lookup: func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}}, nil
	}
	return URLPolicy{}, fmt.Errorf("unknown URL policy %q: use one of %s", name, strings.Join(URLPolicies, ", "))
}

// addressClass names the class of an internal address, "" for a public one.
func addressClass(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case a == netip.MustParseAddr("169.254.169.254") || a == netip.MustParseAddr("fd00:ec2::254"):
		return "cloud metadata"
	case a.IsLoopback():
		return "loopback"
	case a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast():
		return "link-local"
	case a.IsPrivate():
		return "private"
	case a.IsUnspecified():
		return "unspecified"
	}
	return ""
}

// literalClass names the class of a host given literally (an IP address, or localhost), "" otherwise.
func literalClass(host string) string {
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return addressClass(a)
	}
	if h := strings.ToLower(strings.TrimSuffix(host, ".")); h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return "loopback"
	}
	return ""
}

// destinationURLs lists the URLs a Destination's spec sends deliveries to, with the field that holds each.
func destinationURLs(spec *v1.DestinationSpec) map[string]string {
	urls := map[string]string{}
	if spec.HTTP != nil {
		urls["spec.http.url"] = spec.HTTP.URL
	}
	if spec.RabbitMQ != nil {
		urls["spec.rabbitmq.url"] = spec.RabbitMQ.URL
	}
	return urls
}

// check applies the policy to the Destination's URLs. Under deny-internal an internal address is URLNotAllowed:
// final when the host is literal, looked at again by the periodic check when it came from DNS (DNS may change).
// Under allow-all it returns, for the Warning event, the internal addresses found without a lookup.
func (p URLPolicy) check(ctx context.Context, spec *v1.DestinationSpec) (warnings []string, err error) {
	for field, raw := range destinationURLs(spec) {
		u, perr := url.Parse(raw)
		if perr != nil || u.Hostname() == "" {
			continue // the schema's rules and hookstream judge the URL's form
		}
		host := u.Hostname()
		if class := literalClass(host); class != "" {
			if p.denyInternal {
				return nil, managed.Refuse(v1.ReasonURLNotAllowed, "%s names a %s address (%s), which "+
					"--destination-url-policy=deny-internal refuses; deliver to a public address", field, class, host)
			}
			warnings = append(warnings, fmt.Sprintf("%s names a %s address (%s)", field, class, host))
			continue
		}
		if !p.denyInternal {
			continue
		}
		lctx, cancel := context.WithTimeout(ctx, dnsTimeout)
		addrs, lerr := p.lookup(lctx, host)
		cancel()
		if lerr != nil {
			return nil, managed.Stall(v1.ReasonURLNotAllowed, "the host %s of %s cannot be resolved (%v), so "+
				"--destination-url-policy=deny-internal cannot check it; checked again at the next periodic check",
				host, field, dnsSummary(lerr))
		}
		for _, a := range addrs {
			if class := addressClass(a); class != "" {
				return nil, managed.Stall(v1.ReasonURLNotAllowed, "the host %s of %s resolves to a %s address (%s), "+
					"which --destination-url-policy=deny-internal refuses; deliver to a public address", host, field,
					class, a)
			}
		}
	}
	return warnings, nil
}

// dnsSummary describes a failed lookup without the resolver's address, which would churn the status.
func dnsSummary(err error) string {
	if dnsErr, ok := err.(*net.DNSError); ok {
		switch {
		case dnsErr.IsNotFound:
			return "no such host"
		case dnsErr.IsTimeout:
			return "the lookup timed out"
		}
	}
	return "the lookup failed"
}
