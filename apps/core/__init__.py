"""The ground floor; imports no app. Abstract base models (timestamps), `errors`
(ApplicationError and its HTTP-mapped kinds, the one ProviderError for every outside service),
`money` (integer minor units + currency), the shared HTTP client with timeouts, typed domain
events and their dispatcher (`events`), the navigation registry of the dashboard sidebar,
trusted-proxy client addresses (`net`), the one rate limiter (`ratelimit`, with its fallbacks
when Redis is down: `ratelimit_fallback`), surviving a Redis outage (`redis_outage`: the cache
that degrades to "not cached" and a per-process breaker), the retry policy
(`retry`, tenacity), beat-schedule and release-flag registries, per-tenant cache snapshots,
CSV formula escaping (`csv_safety`), health and readiness checks, /metrics, the API error shape,
OpenAPI post-processing and page error rendering. Rules owned here: how an error looks, how
money is represented, how a lower app tells an upper one that something happened."""
