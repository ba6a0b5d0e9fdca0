"""What a run leaves on disk, in SQLite files under the store folder (`.pipe` by default).

    sqlite.py          opening the files (WAL, busy timeout, schema)
    run_store.py       runs.sqlite: runs, every call (`CallRow`), node outputs, item results
    owner.py           which process owns a running run; a dead owner means `interrupted`
    response_cache.py  cache.sqlite: content-addressed responses, so no call is paid twice
    call_tables.py     per-node sums over a run's calls, by SQLite (for `pipe show`)
    exports.py         a run's flat rows, streamed in pages (for `pipe export`)
    item_view.py       a run's items as a sequence read from the store on use
"""

from pipelines.storage.call_tables import call_sums
from pipelines.storage.response_cache import ResponseCache, cache_key
from pipelines.storage.run_store import RunStore, new_run_id

__all__ = ["ResponseCache", "RunStore", "call_sums", "cache_key", "new_run_id"]
