"""Ships a log file to Vigil with the official Elasticsearch Python client, as
a Python application logging to Elasticsearch would: tests/api/elastic_clients.rs.

    es_python.py URL KEY FILE first    every line once, by every client call
    es_python.py URL KEY FILE retry    the same again with the same ids (a
                                       shipper retrying): nothing new is stored

Prints one JSON object of counts; exits non-zero on anything unexpected.
"""

import json
import sys

from elasticsearch import ConflictError, Elasticsearch, helpers

url, key, path, mode = sys.argv[1:5]
es = Elasticsearch(url, api_key=("vigil", key), request_timeout=60)

info = es.info()
assert info["version"]["number"].startswith("8."), info
assert es.ping(), "ping"

lines = [line for line in open(path, encoding="utf-8").read().splitlines() if line]
assert len(lines) >= 9000, len(lines)


def doc(n):
    return {"message": lines[n], "log": {"file": {"path": "apache_logs"}}, "line": n}


counts = {"bulk": 0, "streaming": 0, "index": 0, "create": 0, "noop": 0, "conflict": 0}

# helpers.bulk: PUT /_bulk, `index` actions with the shipper's ids.
ok, errors = helpers.bulk(
    es,
    ({"_op_type": "index", "_index": "apache", "_id": f"a-{n}", "_source": doc(n)} for n in range(0, 4000)),
    chunk_size=500,
    raise_on_error=False,
)
assert not errors, errors[:3]
counts["bulk"] = ok

# helpers.streaming_bulk: PUT /apache/_bulk, `create` actions; a retried
# create meets its stored id (409), which is what retrying must do.
for ok, item in helpers.streaming_bulk(
    es,
    ({"_op_type": "create", "_id": f"a-{n}", "_source": doc(n)} for n in range(4000, 8000)),
    index="apache",
    chunk_size=1000,
    raise_on_error=False,
):
    result = item["create"]
    if ok:
        counts["streaming"] += 1
    elif result["status"] == 409:
        counts["conflict"] += 1
    else:
        raise SystemExit(f"streaming_bulk: {result}")

# index() with an id: PUT /apache/_doc/{id}.
for n in range(8000, 8100):
    answer = es.index(index="apache", id=f"a-{n}", document=doc(n))
    assert answer["_id"] == f"a-{n}", answer
    if answer["result"] == "created":
        counts["index"] += 1
    elif answer["result"] == "noop":
        counts["noop"] += 1
    else:
        raise SystemExit(f"index: {answer}")

# create(): PUT /apache/_create/{id}; a second create is a ConflictError.
for n in range(8100, 8200):
    try:
        answer = es.create(index="apache", id=f"a-{n}", document=doc(n))
        assert answer["result"] == "created" and answer["_version"] == 1, answer
        counts["create"] += 1
    except ConflictError:
        counts["conflict"] += 1

# index() without an id (POST /apache/_doc): only on the first run, since
# nothing can tell a retry of it from a new document.
if mode == "first":
    for n in range(8200, 8300):
        answer = es.index(index="apache", document=doc(n))
        assert answer["result"] == "created" and answer["_id"], answer
        counts["index"] += 1

# The rest in one more bulk, mixing index and create.
ok, errors = helpers.bulk(
    es,
    (
        {"_op_type": "index" if n % 2 else "create", "_index": "apache", "_id": f"a-{n}", "_source": doc(n)}
        for n in range(8300, len(lines))
    ),
    raise_on_error=False,
)
counts["bulk"] += ok
for error in errors:
    if error.get("create", {}).get("status") == 409:
        counts["conflict"] += 1
    else:
        raise SystemExit(f"bulk: {error}")

print(json.dumps(counts))
