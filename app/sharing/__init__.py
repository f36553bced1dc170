"""Sharing with other providers: confirmed networks published as STIX 2.1 to
collections that partners read over TAXII 2.1, without anything personal in
clear.

Modules: `stix` (pure: what a published network looks like), `collections`
(policies and keys), `publish` (versions in the graph, revocation),
`decisions` (a case's status change publishes or withdraws it), `partners`
(tokens), `feed` (what a partner reads, page by page).
"""
