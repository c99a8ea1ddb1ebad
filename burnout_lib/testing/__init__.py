"""Stand-ins for tests, demos and benchmarks, shipped apart from the product's code path, in the
spirit of httpx's `MockTransport`: `hume_server` (a local stand-in for Hume's API, behind the same
HTTP interface; `burnout fake-hume`), `offline` (a generated clip, and Hume's API or the stand-in
when no key is set) and `postgres_server` (a throwaway PostgreSQL on 127.0.0.1).
May import sources, store and the base modules. Nothing in the product imports it: only `cli`
(for `burnout fake-hume`), the tests, the benchmarks and the notebooks.
"""
