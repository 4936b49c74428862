#!/usr/bin/env python3
"""End-to-end test of the cluster mode (CTest "cluster_test", label "cluster").

    tests/support/pg.sh run DIR cluster_test python3 tests/cluster/cluster_test.py

Needs COMPTOIR_BINARY (the comptoir binary), COMPTOIR_TEST_DATABASE_URL (a
fresh, empty PostgreSQL database: pg.sh run makes one), psql (found like
tests/support/pg.sh finds PostgreSQL: PG_BINDIR, else the newest
/usr/lib/postgresql/<version>/bin), nginx and deploy/cluster/nginx.sh.

Real processes on loopback only: three demo nodes n1..n3 on one PostgreSQL
(cluster ports below 32768, heartbeat 500 ms, connection timeout 2000 ms,
lease 3000 ms) and nginx in front of them. Scenarios, in this order:

 1. ownership: every location owned by a live node, evenly spread;
 2. same answers through every node and through nginx, and writes through
    one node visible identically through all;
 3. kill -9 of the busiest node under a keyed, retrying sales load: every
    acknowledged sale exists once, no key made two sales, the stock ledger
    holds, the dead node's stores answer again within 10 s;
 4. SIGSTOP of the busiest node: its locations move, nginx serves them,
    the thawed node writes nothing for them, rejoins and gets a share back;
 5. SIGTERM and restart of a node while the owner table is sampled every
    50 ms: epochs only grow, an owner change comes with a higher epoch, no
    location is held by a node dead for more than the lease; the nodes'
    comptoir_cluster_owned_locations add up to every location, evenly.

Every process started is stopped by pid at the end (try/finally and atexit);
the nodes' log tails are printed on failure. COMPTOIR_CLUSTER_KEEP=1 keeps
the temporary directory (configs, logs, nginx files).
"""

import atexit
import glob
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NGINX_SH = os.path.join(REPO_ROOT, "deploy", "cluster", "nginx.sh")
HEARTBEAT_MS = 500
CONNECTION_TIMEOUT_MS = 2000
LEASE_TTL_MS = 3000
NODE_IDS = ["n1", "n2", "n3"]
STORES = [1, 2, 3, 4, 5]          # demo chain: stores 1-5, logistics centre 6
KEEP = os.environ.get("COMPTOIR_CLUSTER_KEEP") == "1"

T0 = time.monotonic()


def say(msg):
    print(f"[{time.monotonic() - T0:7.2f}s] {msg}", flush=True)


class CheckFailed(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise CheckFailed(msg)


# -- ports -----------------------------------------------------------------------
_taken_ports = set()


def listens_on(pid, port):
    """Whether process pid holds the socket listening on port: a port free
    when picked may be taken by another test's process before this one binds
    it, and then that process answers our requests."""
    wanted = f":{port:04X}"
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A" and fields[1].endswith(wanted):  # 0A: LISTEN
                        inodes.add(f"socket:[{fields[9]}]")
        except OSError:
            pass
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                return True
        except OSError:
            pass
    return False


def free_port():
    while True:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port not in _taken_ports:
            _taken_ports.add(port)
            return port


def free_low_port():
    """A loopback port below 32768 (outside the ephemeral range) that binds now."""
    for _ in range(500):
        port = random.randrange(20000, 32000)
        if port in _taken_ports:
            continue
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            s.close()
        _taken_ports.add(port)
        return port
    raise RuntimeError("no free port below 32768")


# -- PostgreSQL --------------------------------------------------------------------
def find_psql():
    bindir = os.environ.get("PG_BINDIR")
    if bindir:
        return os.path.join(bindir, "psql")
    dirs = [d for d in glob.glob("/usr/lib/postgresql/*/bin") if os.access(os.path.join(d, "psql"), os.X_OK)]

    def version(d):
        return [int(x) if x.isdigit() else 0 for x in re.split(r"[.]", d.split("/")[-2])]
    if dirs:
        return os.path.join(sorted(dirs, key=version)[-1], "psql")
    found = shutil.which("psql")
    if not found:
        raise RuntimeError("psql not found (install the postgresql package)")
    return found


class Db:
    def __init__(self, url):
        self.url = url
        self.psql = find_psql()

    def rows(self, sql, timeout=20):
        """Rows of a query as lists of strings (NULL is '')."""
        out = subprocess.run(
            [self.psql, "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d", self.url, "-c", sql],
            capture_output=True, text=True, timeout=timeout,
            env=dict(os.environ, PGOPTIONS="-c client_min_messages=warning"))
        if out.returncode != 0:
            raise RuntimeError(f"psql failed ({out.returncode}): {out.stderr.strip()}\n  query: {sql}")
        return [line.split("\t") for line in out.stdout.splitlines() if line != ""]

    def value(self, sql):
        r = self.rows(sql)
        return r[0][0] if r else None


# -- HTTP --------------------------------------------------------------------------
class Http:
    """One keep-alive connection to host:port; reconnects after errors."""

    def __init__(self, port, timeout=10):
        self.port = port
        self.timeout = timeout
        self.conn = None

    def close(self):
        if self.conn:
            try:
                self.conn.close()
            except Exception:
                pass
        self.conn = None

    def request(self, method, path, token=None, body=None, headers=None, timeout=None):
        """(status, headers dict lower-cased, body bytes); raises OSError/HTTPException on I/O errors."""
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            h["Content-Type"] = "application/json"
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout or self.timeout)
        try:
            self.conn.timeout = timeout or self.timeout
            if self.conn.sock is not None:
                self.conn.sock.settimeout(timeout or self.timeout)
            self.conn.request(method, path, body=data, headers=h)
            r = self.conn.getresponse()
            payload = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
            if hdrs.get("connection", "").lower() == "close":
                self.close()
            return r.status, hdrs, payload
        except Exception:
            self.close()
            raise


def get(port, path, token="demo-admin", timeout=10):
    c = Http(port, timeout)
    try:
        return c.request("GET", path, token)
    finally:
        c.close()


def get_json(port, path, token="demo-admin"):
    status, _, body = get(port, path, token)
    check(status == 200, f"GET {path} on :{port} answered {status}: {body[:300]!r}")
    return json.loads(body)


def get_json_settled(port, path, token="demo-admin", seconds=15):
    """GET until 200, retrying 502/503/504 and I/O errors (a handover may be in progress) for `seconds`."""
    deadline = time.monotonic() + seconds
    last = None
    while True:
        try:
            status, _, body = get(port, path, token, timeout=12)
            if status == 200:
                return json.loads(body)
            last = f"{status} {body[:200]!r}"
            check(status in (502, 503, 504), f"GET {path} on :{port} answered {last}")
        except (OSError, http.client.HTTPException) as e:
            last = type(e).__name__
        check(time.monotonic() < deadline, f"GET {path} on :{port}: no 200 within {seconds} s (last: {last})")
        time.sleep(0.2)


def send(port, method, path, token, body=None, key=None, timeout=15):
    c = Http(port, timeout)
    try:
        h = {"Idempotency-Key": key} if key else {}
        status, _, payload = c.request(method, path, token, body, h)
        return status, (json.loads(payload) if payload else None)
    finally:
        c.close()


# -- processes ---------------------------------------------------------------------
def node_config(node_id, http_port, cluster_port, db_url, seeds, extra=""):
    """A cluster node's config file: demo data and tokens, fast metrics, no
    access log, the test's heartbeat, timeout and lease; `extra` ends [cluster]."""
    seed_list = ", ".join(f'"127.0.0.1:{p}"' for p in seeds)
    return f"""# written by tests/cluster/
[http]
address = "127.0.0.1"
port = {http_port}

[database]
url = "{db_url}"

[demo]
enabled = true

[metrics]
flush_interval_ms = 200

[log]
access = false

[cluster]
enabled = true
node_id = "{node_id}"
address = "127.0.0.1"
port = {cluster_port}
seeds = [{seed_list}]
heartbeat_interval_ms = {HEARTBEAT_MS}
connection_timeout_ms = {CONNECTION_TIMEOUT_MS}
lease_ttl_ms = {LEASE_TTL_MS}
{extra}"""


class Node:
    def __init__(self, node_id, workdir, db_url, cluster_ports, index):
        self.id = node_id
        self.http_port = free_port()
        self.cluster_port = cluster_ports[index]
        self.config = os.path.join(workdir, f"{node_id}.toml")
        self.log = os.path.join(workdir, f"{node_id}.log")
        self.proc = None
        self.stopped = False   # SIGSTOPped
        seeds = [p for i, p in enumerate(cluster_ports) if i != index]
        with open(self.config, "w") as f:
            f.write(node_config(node_id, self.http_port, self.cluster_port, db_url, seeds))

    def start(self):
        env = {k: v for k, v in os.environ.items()
               if k not in ("COMPTOIR_CONFIG", "COMPTOIR_HTTP_PORT", "COMPTOIR_HTTP_ADDRESS", "COMPTOIR_DATABASE_URL")}
        logf = open(self.log, "ab")
        logf.write(f"\n===== start at {time.monotonic() - T0:.2f}s =====\n".encode())
        logf.flush()
        self.proc = subprocess.Popen([BINARY, "serve", "--config", self.config],
                                     stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        logf.close()
        self.stopped = False
        say(f"started {self.id} (pid {self.proc.pid}, http :{self.http_port}, cluster :{self.cluster_port})")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self.alive():
                rc = self.proc.returncode
                how = f"killed by {signal.Signals(-rc).name}" if rc < 0 else f"exited with status {rc}"
                raise CheckFailed(f"{self.id} {how} before it was ready:\n"
                                  + self.tail(20))
            try:
                status, _, _ = get(self.http_port, "/health/ready", None, timeout=2)
                if status == 200 and listens_on(self.proc.pid, self.http_port):
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.1)
        raise CheckFailed(f"{self.id} is not ready after {seconds} s")

    def signal(self, sig):
        if self.alive():
            os.kill(self.proc.pid, sig)
        if sig == signal.SIGSTOP:
            self.stopped = True
        elif sig == signal.SIGCONT:
            self.stopped = False

    def stop(self, seconds=15):
        """SIGTERM, wait, SIGKILL: only this node's own pid."""
        if not self.alive():
            return
        if self.stopped:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.stopped = False
        self.proc.terminate()
        try:
            self.proc.wait(seconds)
        except subprocess.TimeoutExpired:
            say(f"{self.id} (pid {self.proc.pid}) did not stop in {seconds} s: SIGKILL")
            self.proc.kill()
            self.proc.wait(10)

    def tail(self, n=40):
        try:
            with open(self.log, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return "(no log)"

    def log_text(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""


class Nginx:
    def __init__(self, workdir, nodes):
        self.dir = os.path.join(workdir, "nginx")
        self.port = free_port()
        self.nodes = nodes
        self.started = False

    def run(self, *args):
        out = subprocess.run([NGINX_SH, *args], capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise CheckFailed(f"nginx.sh {' '.join(args)} exited {out.returncode}: {out.stdout}{out.stderr}")
        return out.stdout

    def start(self):
        if not os.access(NGINX_SH, os.X_OK):
            raise CheckFailed(f"{NGINX_SH} does not exist (or is not executable): nginx cannot be started")
        self.run("render", self.dir, "--listen", f"127.0.0.1:{self.port}",
                 *[f"127.0.0.1:{n.http_port}" for n in self.nodes])
        self.run("start", self.dir)
        self.started = True
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if get(self.port, "/health/live", None, timeout=2)[0] == 200:
                    say(f"nginx on :{self.port} in front of {', '.join(str(n.http_port) for n in self.nodes)}")
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.1)
        raise CheckFailed("nginx does not answer /health/live after 15 s")

    def stop(self):
        if self.started:
            self.started = False
            try:
                self.run("stop", self.dir)
            except Exception as e:
                say(f"nginx.sh stop failed: {e}")

    def tails(self, n=20):
        out = []
        for path in sorted(glob.glob(os.path.join(self.dir, "**", "*.log"), recursive=True)):
            try:
                with open(path, "rb") as f:
                    lines = f.read().decode("utf-8", "replace").splitlines()[-n:]
                out.append(f"--- last lines of {path} ---\n" + "\n".join(lines))
            except OSError:
                pass
        return "\n".join(out)


# -- the cluster's state in the database -------------------------------------------------
def locations(db):
    return [int(r[0]) for r in db.rows("SELECT id FROM locations ORDER BY id")]


def owners(db):
    """{location_id: (node_id or '', live bool, epoch)}, from the database."""
    rows = db.rows(
        "SELECT lo.location_id, COALESCE(cn.node_id, ''),"
        " COALESCE(cn.expires_at > clock_timestamp(), false), lo.epoch"
        " FROM location_owners lo LEFT JOIN cluster_nodes cn ON cn.incarnation = lo.owner"
        " ORDER BY lo.location_id")
    return {int(r[0]): (r[1], r[2] == "t", int(r[3])) for r in rows}


class Cluster:
    def __init__(self, db, nodes, nginx):
        self.db = db
        self.nodes = nodes
        self.nginx = nginx
        self.by_id = {n.id: n for n in nodes}

    def locations(self):
        return locations(self.db)

    def owners(self):
        return owners(self.db)

    def live_nodes(self):
        return {r[0] for r in self.db.rows(
            "SELECT node_id FROM cluster_nodes WHERE expires_at > clock_timestamp()")}

    def counts(self, owners):
        counts = {n.id: 0 for n in self.nodes}
        for node_id, live, _ in owners.values():
            if node_id in counts and live:
                counts[node_id] += 1
        return counts

    def wait_balanced(self, among=None, since=None, limit=15):
        """(seconds from `since` (default now) until balanced(among), or None
        after `limit` seconds; the last per-node counts)."""
        since = since if since is not None else time.monotonic()
        while True:
            ok, _, counts = self.balanced(among)
            if ok:
                return time.monotonic() - since, counts
            if time.monotonic() - since >= limit:
                return None, counts
            time.sleep(0.1)

    def balanced(self, among=None):
        """(ok, owners, counts): every location owned by a live node of `among`, counts within 1."""
        among = among or [n.id for n in self.nodes]
        owners = self.owners()
        locs = self.locations()
        counts = {k: v for k, v in self.counts(owners).items() if k in among}
        ok = (all(l in owners and owners[l][1] and owners[l][0] in among for l in locs)
              and max(counts.values()) - min(counts.values()) <= 1)
        return ok, owners, counts

    def busiest(self):
        """The node owning the most stores now."""
        owners = self.owners()
        counts = {n.id: 0 for n in self.nodes}
        for loc, (node_id, live, _) in owners.items():
            if loc in STORES and node_id in counts:
                counts[node_id] += 1
        node_id = max(counts, key=lambda k: counts[k])
        return self.by_id[node_id], [l for l in STORES if owners.get(l, ("",))[0] == node_id]

    def stock_snapshot(self, stores=None):
        stores = stores or STORES
        rows = self.db.rows("SELECT location_id, product_id, on_hand FROM stock WHERE location_id IN (%s)"
                            % ",".join(map(str, stores)))
        return {(int(a), int(b)): int(c) for a, b, c in rows}

    def sale_ids(self, stores=None):
        stores = stores or STORES
        return {r[0] for r in self.db.rows("SELECT id FROM sales WHERE store_id IN (%s)" % ",".join(map(str, stores)))}


# -- a keyed, retrying sales client ---------------------------------------------------------
class SalesLoad:
    """Threads selling through one or more ports, every sale with a unique
    Idempotency-Key, retried with the same key on connection errors and
    502/503/504 (Retry-After honoured) for up to 30 s."""

    def __init__(self, name, ports, stores, budget, threads=8, per_sale_limit=30.0, pause=0.0):
        self.name = name
        self.ports = ports
        self.stores = stores
        self.budget = budget          # {(store, product): units we may still sell}
        self.threads = threads
        self.per_sale_limit = per_sale_limit
        self.pause = pause
        self.lock = threading.Lock()
        self.stop_flag = threading.Event()
        self.acked = {}               # sale id -> (key, store, lines)
        self.acked_by_key = {}        # key -> sale id
        self.attempts = 0
        self.retries = 0
        self.retry_reasons = {}
        self.given_up = []            # keys never acknowledged within the limit
        self.unexpected = []          # (key, status, body) of answers that are not 201 nor retryable
        self.max_sale_seconds = 0.0
        self.workers = []

    def pick(self, rnd):
        with self.lock:
            pairs = [p for p, units in self.budget.items() if units > 0 and p[0] in self.stores]
            if not pairs:
                return None
            store = rnd.choice(sorted({p[0] for p in pairs}))
            products = [p for p in pairs if p[0] == store]
            chosen = rnd.sample(products, min(len(products), rnd.choice([1, 1, 1, 2])))
            lines = []
            for p in chosen:
                q = min(self.budget[p], rnd.choice([1, 1, 1, 2]))
                self.budget[p] -= q
                lines.append({"product_id": p[1], "quantity": q})
            return store, lines

    def worker(self, index):
        rnd = random.Random(index * 7919 + hash(self.name) % 1000)
        port = self.ports[index % len(self.ports)]
        conn = Http(port, timeout=12)   # above nginx's 10 s for all its tries
        n = 0
        try:
            while not self.stop_flag.is_set():
                picked = self.pick(rnd)
                if picked is None:
                    time.sleep(0.05)
                    continue
                store, lines = picked
                n += 1
                key = f"{self.name}-{index}-{n}"
                body = json.dumps({"lines": lines})
                started = time.monotonic()
                while True:
                    with self.lock:
                        self.attempts += 1
                    reason, wait = None, 0.05
                    try:
                        status, hdrs, payload = conn.request(
                            "POST", f"/api/v1/stores/{store}/sales", f"demo-clerk-{store}", body,
                            {"Idempotency-Key": key})
                        if status == 201:
                            sale = json.loads(payload)
                            with self.lock:
                                self.acked[sale["id"]] = (key, store, lines)
                                self.acked_by_key[key] = sale["id"]
                            break
                        if status in (502, 503, 504):
                            reason = str(status)
                            try:
                                wait = min(2.0, max(0.05, float(hdrs.get("retry-after", "0.2"))))
                            except ValueError:
                                wait = 0.2
                        else:
                            with self.lock:
                                self.unexpected.append((key, status, payload[:300]))
                            break
                    except (OSError, http.client.HTTPException) as e:
                        reason = type(e).__name__
                        wait = 0.1
                    with self.lock:
                        self.retries += 1
                        self.retry_reasons[reason] = self.retry_reasons.get(reason, 0) + 1
                    if time.monotonic() - started + wait > self.per_sale_limit:
                        with self.lock:
                            self.given_up.append(key)
                        break
                    time.sleep(wait)
                with self.lock:
                    self.max_sale_seconds = max(self.max_sale_seconds, time.monotonic() - started)
                if self.pause:
                    time.sleep(self.pause)
        finally:
            conn.close()

    def start(self):
        for i in range(self.threads):
            t = threading.Thread(target=self.worker, args=(i,), daemon=True)
            t.start()
            self.workers.append(t)

    def finish(self, seconds=40):
        self.stop_flag.set()
        deadline = time.monotonic() + seconds
        for t in self.workers:
            t.join(max(0.1, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self.workers)

    def summary(self):
        return (f"{len(self.acked)} sales acknowledged, {self.attempts} attempts, {self.retries} retries "
                f"{dict(sorted(self.retry_reasons.items()))}, {len(self.given_up)} given up, "
                f"{len(self.unexpected)} unexpected answers, slowest sale {self.max_sale_seconds:.2f} s")


def check_sales_and_ledger(cluster, load, before_ids, stock_before, stores, key_prefix):
    """Acknowledged sales exist once, one sale per key, stock ledger holds. Returns a figures line."""
    db = cluster.db
    store_list = ",".join(map(str, stores))
    new_ids = cluster.sale_ids(stores) - before_ids
    # every acknowledged sale exists exactly once, at its store
    acked = dict(load.acked)
    rows = db.rows("SELECT id, store_id FROM sales WHERE store_id IN (%s)" % store_list)
    found = {}
    for sid, store in rows:
        found.setdefault(sid, []).append(int(store))
    missing = [sid for sid in acked if sid not in found]
    check(not missing, f"{len(missing)} acknowledged sales are not in the sales table, e.g. {missing[:3]}")
    dup = [sid for sid in acked if len(found[sid]) != 1]
    check(not dup, f"acknowledged sales present more than once: {dup[:3]}")
    wrong_store = [sid for sid, (_, store, _) in acked.items() if found[sid][0] != store]
    check(not wrong_store, f"acknowledged sales at the wrong store: {wrong_store[:3]}")
    # no key produced two sales: the new sales are exactly those the keys record
    keys = db.rows("SELECT scope, idempotency_key, response_body FROM idempotency_keys"
                   f" WHERE idempotency_key LIKE '{key_prefix}-%'")
    key_sale = {}
    per_key = {}
    for scope, key, body in keys:
        per_key[key] = per_key.get(key, 0) + 1
        try:
            key_sale[key] = json.loads(body)["id"]
        except (ValueError, KeyError):
            key_sale[key] = None
    twice = [k for k, c in per_key.items() if c > 1]
    check(not twice, f"idempotency keys stored more than once (two scopes): {twice[:3]}")
    for key, sid in load.acked_by_key.items():
        check(key in key_sale, f"acknowledged key {key} (sale {sid}) has no idempotency_keys row")
        check(key_sale[key] == sid, f"key {key}: acknowledged sale {sid}, but the key records {key_sale[key]}")
    recorded = set(key_sale.values())
    extra = new_ids - recorded
    check(not extra, f"{len(extra)} sales were created during the load that no idempotency key records "
                     f"(a key that made two sales, or a write nobody asked for), e.g. {sorted(extra)[:3]}")
    not_in_db = recorded - new_ids
    check(not not_in_db, f"keys record sales that are not in the table: {sorted(not_in_db)[:3]}")
    # the stock ledger
    sold = {}
    if new_ids:
        for sid, product, qty in db.rows(
                "SELECT s.store_id, l.product_id, SUM(l.quantity) FROM sales s JOIN sale_lines l ON l.sale_id = s.id"
                " WHERE s.id IN (%s) GROUP BY s.store_id, l.product_id"
                % ",".join(f"'{i}'" for i in new_ids)):
            sold[(int(sid), int(product))] = int(qty)
    stock_after = cluster.stock_snapshot(stores)
    bad = []
    for pair, initial in stock_before.items():
        now = stock_after.get(pair)
        if now is None or now < 0 or initial - sold.get(pair, 0) != now:
            bad.append(f"store {pair[0]} product {pair[1]}: initial {initial} - sold {sold.get(pair, 0)} != now {now}")
    check(not bad, f"stock ledger broken for {len(bad)} (store, product) pairs: " + "; ".join(bad[:5]))
    # the owners' in-memory stock (served through nginx) is the database's
    for store in stores:
        api = {i["product_id"]: i["on_hand"]
               for i in get_json_settled(cluster.nginx.port, f"/api/v1/stores/{store}/stock")["items"]}
        db_stock = {p: v for (s, p), v in stock_after.items() if s == store}
        diff = [f"product {p}: served {api.get(p)}, database {v}" for p, v in sorted(db_stock.items()) if api.get(p) != v]
        check(not diff, f"store {store}'s stock served through nginx differs from the database: " + "; ".join(diff[:5]))
    units = sum(sold.values())
    return (f"{len(new_ids)} new sales in the table ({len(acked)} acknowledged, "
            f"{len(new_ids) - len(acked)} committed but not acknowledged), {units} units sold, ledger holds "
            f"for {len(stock_before)} pairs")


def budget_from(stock, fraction=0.5, minimum=10):
    return {pair: int(units * fraction) for pair, units in stock.items() if units >= minimum}


# -- scenarios --------------------------------------------------------------------------------
def scenario_ownership(c):
    deadline = time.monotonic() + 15
    started = time.monotonic()
    last = None
    while time.monotonic() < deadline:
        try:
            ok, owners, counts = c.balanced()
            last = (owners, counts)
            if ok:
                say(f"  every one of {len(c.locations())} locations owned by a live node after "
                    f"{time.monotonic() - started:.2f} s; per node {counts}; owners "
                    + ", ".join(f"{l}:{o[0]}@{o[2]}" for l, o in sorted(owners.items())))
                return
        except RuntimeError as e:   # the tables may not exist yet
            last = str(e)
        time.sleep(0.2)
    raise CheckFailed(f"after 15 s the locations are not all owned by live nodes, evenly: {last}")


def compare_everywhere(c, paths, what):
    ports = [(n.id, n.http_port) for n in c.nodes] + [("nginx", c.nginx.port)]
    mismatches = []
    for path, token in paths:
        answers = {}
        for name, port in ports:
            status, _, body = get(port, path, token)
            answers[name] = (status, body)
        first = answers[ports[0][0]]
        if first[0] != 200:
            mismatches.append(f"{path}: {ports[0][0]} answered {first[0]} {first[1][:200]!r}")
        for name, answer in answers.items():
            if answer != first:
                mismatches.append(f"{path} ({what}): {name} answered {answer[0]} {answer[1][:300]!r}; "
                                  f"{ports[0][0]} answered {first[0]} {first[1][:300]!r}")
    check(not mismatches, f"{len(mismatches)} differing answers:\n    " + "\n    ".join(mismatches[:8]))
    return len(paths) * len(ports)


def read_paths():
    paths = []
    for s in STORES:
        paths.append((f"/api/v1/stores/{s}/stock", f"demo-clerk-{s}"))
        paths.append((f"/api/v1/stores/{s}/sales?limit=500", "demo-admin"))
    paths += [("/api/v1/products?limit=500", "demo-hq"), ("/api/v1/stores", "demo-hq"),
              ("/api/v1/warehouse/stock", "demo-logistics"), ("/api/v1/alerts", "demo-hq"),
              ("/api/v1/reports/sales", "demo-hq"), ("/api/v1/reports/sales?from=2000-01-01", "demo-hq"),
              ("/api/v1/dashboard", "demo-hq"), ("/api/v1/restock-requests?limit=500", "demo-logistics")]
    return paths


def scenario_same_answers(c):
    n = compare_everywhere(c, read_paths(), "before writes")
    say(f"  {n} reads (status and body, byte for byte; headers X-Request-Id, ETag, Date not compared) identical "
        "through n1, n2, n3 and nginx")
    owners = c.owners()
    a = c.nodes[0]
    # a sale at a store owned by another node, through node A
    store = next(s for s in STORES if owners[s][0] != a.id)
    stock_before = {i["product_id"]: i["on_hand"] for i in get_json(a.http_port, f"/api/v1/stores/{store}/stock")["items"]}
    product = max(stock_before, key=lambda p: stock_before[p])
    status, sale = send(a.http_port, "POST", f"/api/v1/stores/{store}/sales", f"demo-clerk-{store}",
                        {"lines": [{"product_id": product, "quantity": 2}]}, key="s2-sale-1")
    check(status == 201, f"sale at store {store} (owner {owners[store][0]}) through {a.id}: {status} {sale}")
    for n in c.nodes + [c.nginx]:
        port = n.http_port if isinstance(n, Node) else n.port
        items = {i["product_id"]: i["on_hand"] for i in get_json(port, f"/api/v1/stores/{store}/stock")["items"]}
        check(items[product] == stock_before[product] - 2,
              f"store {store} product {product} through :{port}: {items[product]}, expected {stock_before[product] - 2}")
        got = get_json(port, f"/api/v1/sales/{sale['id']}", "demo-hq")
        check(got["id"] == sale["id"], f"sale {sale['id']} not found through :{port}")
    say(f"  sale {sale['id']} at store {store} (owned by {owners[store][0]}) through {a.id}: stock "
        f"{stock_before[product]} -> {stock_before[product] - 2} seen through every node and nginx")
    # a price change through node A (hq); every store sells at the new price, through other nodes
    price_product = 7
    old = get_json(a.http_port, f"/api/v1/products/{price_product}", "demo-hq")["price_cents"]
    new_price = old + 111
    status, body = send(a.http_port, "PATCH", f"/api/v1/products/{price_product}", "demo-hq",
                        {"price_cents": new_price})
    check(status == 200 and body["price_cents"] == new_price, f"PATCH product {price_product}: {status} {body}")
    for i, s in enumerate(STORES):
        node = c.nodes[(i + 1) % 3]
        stock = {it["product_id"]: it["on_hand"] for it in get_json(node.http_port, f"/api/v1/stores/{s}/stock")["items"]}
        if stock.get(price_product, 0) < 1:
            continue
        status, sale2 = send(node.http_port, "POST", f"/api/v1/stores/{s}/sales", f"demo-clerk-{s}",
                             {"lines": [{"product_id": price_product, "quantity": 1}]}, key=f"s2-price-{s}")
        check(status == 201, f"sale of product {price_product} at store {s} through {node.id}: {status} {sale2}")
        check(sale2["lines"][0]["unit_price_cents"] == new_price,
              f"store {s} (owner {owners[s][0]}) sold product {price_product} at {sale2['lines'][0]['unit_price_cents']} "
              f"through {node.id} after the PATCH answered {new_price} through {a.id}")
    say(f"  price of product {price_product} {old} -> {new_price} through {a.id}: every store sells at it at once")
    # a restock request (clerk, through A) and its approval (logistics, through B)
    b = c.nodes[1]
    rstore = STORES[-1]
    wh_before = {i["product_id"]: i["on_hand"] for i in get_json(a.http_port, "/api/v1/warehouse/stock")["items"]}
    st_before = {i["product_id"]: i["on_hand"] for i in get_json(a.http_port, f"/api/v1/stores/{rstore}/stock")["items"]}
    status, req = send(a.http_port, "POST", f"/api/v1/stores/{rstore}/restock-requests", f"demo-clerk-{rstore}",
                       {"lines": [{"product_id": 3, "quantity": 9}]}, key="s2-restock-1")
    check(status == 201 and req["status"] == "pending", f"restock request through {a.id}: {status} {req}")
    status, appr = send(b.http_port, "POST", f"/api/v1/restock-requests/{req['id']}/approve", "demo-logistics",
                        key="s2-approve-1")
    check(status == 200 and appr["status"] == "fulfilled", f"approval through {b.id}: {status} {appr}")
    for n in c.nodes + [c.nginx]:
        port = n.http_port if isinstance(n, Node) else n.port
        wh = {i["product_id"]: i["on_hand"] for i in get_json(port, "/api/v1/warehouse/stock")["items"]}
        st = {i["product_id"]: i["on_hand"] for i in get_json(port, f"/api/v1/stores/{rstore}/stock")["items"]}
        check(wh[3] == wh_before[3] - 9 and st[3] == st_before[3] + 9,
              f"through :{port}: warehouse product 3 {wh[3]} (expected {wh_before[3] - 9}), store {rstore} "
              f"{st[3]} (expected {st_before[3] + 9})")
    say(f"  restock of 9 x product 3 for store {rstore} requested through {a.id}, approved through {b.id}: "
        f"warehouse {wh_before[3]} -> {wh_before[3] - 9}, store {st_before[3]} -> {st_before[3] + 9} everywhere")
    n = compare_everywhere(c, read_paths(), "after writes")
    say(f"  {n} reads identical again after the writes (reports and dashboard included, no wait for cache expiry)")


def scenario_kill9(c):
    stock_before = c.stock_snapshot()
    before_ids = c.sale_ids()
    budget = budget_from(stock_before)
    say(f"  stock snapshot: {len(stock_before)} pairs, sale budget {sum(budget.values())} units "
        f"(half of the stock of {len(budget)} pairs)")
    # paced (about 200 sales/s at most) so that the budget lasts the 15 s
    load = SalesLoad("s3", [c.nginx.port], STORES, budget, threads=8, pause=0.04)
    probe_result = {}
    load.start()
    victim = None
    try:
        time.sleep(5)
        victim, victim_stores = c.busiest()
        acked_at_kill = len(load.acked)
        victim.signal(signal.SIGKILL)
        killed_at = time.monotonic()
        victim.proc.wait(10)
        say(f"  kill -9 {victim.id} (pid {victim.proc.pid}), owner of stores {victim_stores}, "
            f"{acked_at_kill} sales acknowledged so far")

        # the dead node's stores through nginx: time until all answer 200 in one sweep
        probe = Http(c.nginx.port, timeout=3)
        recovered = None
        statuses = {}
        while time.monotonic() - killed_at < 20:
            ok = True
            for s in victim_stores:
                try:
                    status = probe.request("GET", f"/api/v1/stores/{s}/stock", f"demo-clerk-{s}")[0]
                except (OSError, http.client.HTTPException) as e:
                    status = type(e).__name__
                statuses[status] = statuses.get(status, 0) + 1
                ok = ok and status == 200
            if ok:
                recovered = time.monotonic() - killed_at
                break
            time.sleep(0.1)
        probe.close()
        probe_result["recovered"] = recovered
        say(f"  the dead node's stores {victim_stores} answer 200 through nginx "
            + (f"{recovered:.2f} s after the kill" if recovered is not None else "NOT within 20 s")
            + f" (probe answers: {statuses})")
        remaining = 15 - (time.monotonic() - (killed_at - 5))
        if remaining > 0:
            time.sleep(remaining)
    finally:
        drained = load.finish(40)
        say(f"  load: {load.summary()}; budget left {sum(load.budget.values())} units")
    try:
        check(drained, "client threads still retrying 40 s after the load ended")
        check(not load.unexpected, f"unexpected answers: {load.unexpected[:5]}")
        check(not load.given_up, f"{len(load.given_up)} sales never acknowledged within 30 s: {load.given_up[:5]}")
        check(len(load.acked) > 50, f"only {len(load.acked)} sales acknowledged")
        figures = check_sales_and_ledger(c, load, before_ids, stock_before, STORES, "s3")
        say(f"  {figures}")
        check(probe_result.get("recovered") is not None and probe_result["recovered"] <= 10,
              f"the dead node's stores did not all answer 200 through nginx within 10 s of the kill "
              f"({probe_result.get('recovered')})")
    finally:
        if victim is not None:
            victim.start()
            victim.wait_ready(60)
            took, counts = c.wait_balanced()
            say(f"  {victim.id} restarted and ready; even spread again after "
                f"{'more than 15' if took is None else f'{took:.2f}'} s: {counts}")
            for s in STORES:
                api = {i["product_id"]: i["on_hand"]
                       for i in get_json_settled(c.nginx.port, f"/api/v1/stores/{s}/stock")["items"]}
                db = {p: v for (_, p), v in c.stock_snapshot([s]).items()}
                check(api == db, f"store {s}'s stock through nginx differs from the database after the restart")


def scenario_sigstop(c):
    victim, victim_stores = c.busiest()
    others = [n for n in c.nodes if n is not victim]
    owners_before = c.owners()
    victim_locs = sorted(l for l, o in owners_before.items() if o[0] == victim.id)
    log_offset = len(victim.log_text())
    victim.signal(signal.SIGSTOP)
    stopped_at = time.monotonic()
    say(f"  SIGSTOP {victim.id} (pid {victim.proc.pid}), owner of locations {victim_locs} (stores {victim_stores})")
    moved = None
    while time.monotonic() - stopped_at < 12:
        owners = c.owners()
        if all(owners.get(l, ("",))[0] in [o.id for o in others] and owners[l][1] for l in victim_locs):
            moved = time.monotonic() - stopped_at
            break
        time.sleep(0.1)
    check(moved is not None and moved <= 8, f"locations {victim_locs} of the stopped node not owned by the others "
          f"within 8 s (after {moved}): {c.owners()}")
    say(f"  its locations moved to the others {moved:.2f} s after SIGSTOP: "
        + ", ".join(f"{l}->{c.owners()[l][0]}" for l in victim_locs))
    # nginx serves them (it may try the frozen node first: allow a generous timeout, retry)
    served = None
    probe = Http(c.nginx.port, timeout=15)
    while time.monotonic() - stopped_at < 30:
        try:
            statuses = [probe.request("GET", f"/api/v1/stores/{s}/stock", f"demo-clerk-{s}")[0] for s in victim_stores]
        except (OSError, http.client.HTTPException) as e:
            statuses = [type(e).__name__]
        if all(s == 200 for s in statuses):
            served = time.monotonic() - stopped_at
            break
        time.sleep(0.2)
    probe.close()
    check(served is not None, "nginx does not serve the stopped node's stores within 30 s of SIGSTOP")
    say(f"  nginx serves stores {victim_stores} again {served:.2f} s after SIGSTOP")
    # sales to the frozen node directly (queued in its socket buffers), and then the thaw
    frozen_results = {}

    def frozen_sale(store):
        key = f"s4-frozen-{store}"
        try:
            status, body = send(victim.http_port, "POST", f"/api/v1/stores/{store}/sales", f"demo-clerk-{store}",
                                {"lines": [{"product_id": 11, "quantity": 1}]}, key=key, timeout=30)
        except (OSError, http.client.HTTPException) as e:
            status, body = type(e).__name__, None
        frozen_results[key] = (store, status, body)
    stock_before = c.stock_snapshot(victim_stores)
    before_ids = c.sale_ids(victim_stores)
    frozen_threads = [threading.Thread(target=frozen_sale, args=(s,), daemon=True) for s in victim_stores]
    for t in frozen_threads:
        t.start()
    time.sleep(0.5)
    load = SalesLoad("s4", [o.http_port for o in others], victim_stores, budget_from(stock_before, 0.3),
                     threads=4, pause=0.01)
    load.start()
    victim.signal(signal.SIGCONT)
    thawed_at = time.monotonic()
    say(f"  SIGCONT {victim.id}; selling at stores {victim_stores} through {[o.id for o in others]} for 4 s")
    time.sleep(4)
    load.finish(40)
    for t in frozen_threads:
        t.join(35)
    say(f"  load through the others: {load.summary()}")
    say(f"  sales sent to the frozen node: " + ", ".join(
        f"{k}: {v[1]}" + (f" {v[2].get('id', v[2].get('detail', ''))}" if isinstance(v[2], dict) else "")
        for k, v in sorted(frozen_results.items())))
    # merge the frozen node's acknowledged sales into the load's books
    for key, (store, status, body) in frozen_results.items():
        if status == 201:
            load.acked[body["id"]] = (key, store, [{"product_id": 11, "quantity": 1}])
            load.acked_by_key[key] = body["id"]
    check(not load.unexpected, f"unexpected answers through the others: {load.unexpected[:5]}")
    check(not load.given_up, f"sales never acknowledged: {load.given_up[:5]}")
    figures = check_sales_and_ledger(c, load, before_ids, stock_before, victim_stores, "s4")
    say(f"  after the thaw: {figures}")
    lost_log = victim.log_text()[log_offset:]
    lost = sorted({int(m) for m in re.findall(r"cluster: lost location (\d+)", lost_log)})
    check(set(victim_locs) <= set(lost), f"{victim.id}'s log does not say it lost locations {victim_locs} "
          f"(it says lost {lost})")
    say(f"  {victim.id}'s log: 'cluster: lost location' for {lost}")
    # it rejoins and gets a share back
    rejoined = None
    while time.monotonic() - thawed_at < 20:
        ok, owners, counts = c.balanced()
        if ok and victim.id in c.live_nodes() and counts[victim.id] >= 1:
            rejoined = time.monotonic() - thawed_at
            break
        time.sleep(0.2)
    check(rejoined is not None and rejoined <= 15, f"{victim.id} has not rejoined with a share within 15 s of "
          f"SIGCONT: live {c.live_nodes()}, owners {c.owners()}")
    say(f"  {victim.id} live again and rebalanced {rejoined:.2f} s after SIGCONT: {counts}")


def scenario_restart_rebalance(c):
    samples = []
    stop = threading.Event()
    errors = []

    def sampler():
        while not stop.is_set():
            t = time.monotonic()
            try:
                rows = c.db.rows(
                    "SELECT lo.location_id, COALESCE(lo.owner::text, ''), lo.epoch, COALESCE(cn.node_id, ''),"
                    " COALESCE(EXTRACT(EPOCH FROM (clock_timestamp() - cn.expires_at)) * 1000, -1e9)"
                    " FROM location_owners lo LEFT JOIN cluster_nodes cn ON cn.incarnation = lo.owner"
                    " ORDER BY lo.location_id", timeout=5)
                samples.append((t, [(int(r[0]), r[1], int(r[2]), r[3], float(r[4])) for r in rows]))
            except Exception as e:
                errors.append(str(e))
            time.sleep(max(0, 0.05 - (time.monotonic() - t)))

    th = threading.Thread(target=sampler, daemon=True)
    th.start()
    victim = c.nodes[1]
    try:
        time.sleep(1)
        victim.proc.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        try:
            victim.proc.wait(20)
        except subprocess.TimeoutExpired:
            victim.proc.kill()
            victim.proc.wait(10)
            raise CheckFailed(f"{victim.id} did not exit within 20 s of SIGTERM (killed); its log:\n{victim.tail(15)}")
        say(f"  SIGTERM {victim.id}: exited {victim.proc.returncode} after {time.monotonic() - t0:.2f} s")
        moved, counts = c.wait_balanced([n.id for n in c.nodes if n is not victim], since=t0)
        check(moved is not None, f"the others do not own every location 15 s after {victim.id} stopped: {c.owners()}")
        say(f"  the two others own every location {moved:.2f} s after SIGTERM: {counts}")
        victim.start()
        victim.wait_ready(60)
        rebalanced, counts = c.wait_balanced()
        check(rebalanced is not None, f"no even spread 15 s after {victim.id} restarted: {c.owners()}")
        say(f"  {victim.id} restarted; even spread {rebalanced:.2f} s after it was ready: {counts}")
        time.sleep(1)
    finally:
        stop.set()
        th.join(10)
    check(victim.proc.returncode == 0 or victim.alive(), "the SIGTERMed node did not exit 0")
    check(len(samples) > 20, f"only {len(samples)} samples of location_owners ({len(errors)} errors: {errors[:2]})")
    gaps = [b[0] - a[0] for a, b in zip(samples, samples[1:])]
    say(f"  {len(samples)} samples of location_owners, mean interval {1000 * sum(gaps) / len(gaps):.0f} ms, "
        f"max {1000 * max(gaps):.0f} ms, {len(errors)} sampling errors")
    problems = []
    last = {}
    orphan_since = {}
    changes = 0
    for t, rows in samples:
        for loc, owner, epoch, node_id, dead_ms in rows:
            if loc in last:
                p_owner, p_epoch = last[loc]
                if epoch < p_epoch:
                    problems.append(f"location {loc}: epoch went down {p_epoch} -> {epoch} at {t - T0:.2f}s")
                if owner != p_owner:
                    changes += 1
                    if epoch <= p_epoch:
                        problems.append(f"location {loc}: owner {p_owner or 'none'} -> {owner or 'none'} "
                                        f"with epoch {p_epoch} -> {epoch} at {t - T0:.2f}s")
            last[loc] = (owner, epoch)
            # an owner without a cluster_nodes row (its row deleted or replaced by a new incarnation):
            # dead, since when is unknown; tolerated for one lease
            if owner != "" and node_id == "":
                first = orphan_since.setdefault((loc, owner), t)
                if t - first > LEASE_TTL_MS / 1000:
                    problems.append(f"location {loc}: owner {owner} has had no cluster_nodes row for "
                                    f"{t - first:.2f} s at {t - T0:.2f}s")
            elif owner != "" and dead_ms > LEASE_TTL_MS:
                problems.append(f"location {loc}: owned by {node_id} whose lease expired {dead_ms:.0f} ms ago "
                                f"at {t - T0:.2f}s")
    say(f"  {changes} owner changes seen")
    check(changes >= 2, f"only {changes} owner changes seen while a node stopped and came back")
    check(not problems, f"{len(problems)} ownership problems: " + "; ".join(problems[:6]))
    # the nodes' own view: /metrics
    want = len(c.locations())
    deadline = time.monotonic() + 8
    while True:
        owned = {}
        for n in c.nodes:
            status, _, body = get(n.http_port, "/metrics", None)
            m = re.search(rb"^comptoir_cluster_owned_locations(?:\{[^}]*\})?\s+(\S+)", body, re.M)
            owned[n.id] = int(float(m.group(1))) if m else None
        ok = None not in owned.values() and sum(owned.values()) == want and \
            max(owned.values()) - min(owned.values()) <= 1
        if ok or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    check(ok, f"comptoir_cluster_owned_locations per node {owned}: not {want} in all, evenly")
    say(f"  comptoir_cluster_owned_locations: {owned} (sum {sum(owned.values())} = {want} locations)")


# -- main -------------------------------------------------------------------------------------
def stop_at_exit(processes, workdir):
    """Stops what processes() lists (each has stop() and id) and removes
    workdir, once: at exit, on SIGTERM, or when the returned function is called."""
    cleaned = []

    def cleanup():
        if cleaned:
            return
        cleaned.append(True)
        for p in processes():
            try:
                p.stop()
            except Exception as e:
                say(f"stopping {getattr(p, 'id', p)}: {e}")
        if KEEP:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return cleanup


def main():
    global BINARY
    BINARY = os.environ.get("COMPTOIR_BINARY") or (sys.argv[1] if len(sys.argv) > 1 else "")
    db_url = os.environ.get("COMPTOIR_TEST_DATABASE_URL", "")
    if not BINARY or not os.access(BINARY, os.X_OK):
        print(f"cluster_test: FAILED: no comptoir binary (COMPTOIR_BINARY={BINARY!r})", file=sys.stderr)
        return 1
    if not db_url.startswith("postgresql://"):
        print(f"cluster_test: FAILED: COMPTOIR_TEST_DATABASE_URL must be postgresql:// (is {db_url!r})", file=sys.stderr)
        return 1
    workdir = tempfile.mkdtemp(prefix="comptoir-cluster.")
    os.chmod(workdir, 0o755)
    cluster_ports = [free_low_port() for _ in NODE_IDS]
    nodes = [Node(nid, workdir, db_url, cluster_ports, i) for i, nid in enumerate(NODE_IDS)]
    nginx = Nginx(workdir, nodes)
    db = Db(db_url)
    cluster = Cluster(db, nodes, nginx)
    cleanup = stop_at_exit(lambda: [nginx] + nodes, workdir)

    results = []
    failed = False
    try:
        try:
            nodes[0].start()
            nodes[0].wait_ready(90)
            say(f"{nodes[0].id} ready (demo data loaded)")
            for n in nodes[1:]:
                n.start()
            for n in nodes[1:]:
                n.wait_ready(60)
            say("n1, n2, n3 ready")
            nginx.start()
        except (CheckFailed, RuntimeError) as e:
            print(f"FAIL setup: {e}", flush=True)
            failed = True
            return 1
        for name, fn in [("1 ownership", scenario_ownership), ("2 same answers everywhere", scenario_same_answers),
                         ("3 kill -9 under load", scenario_kill9), ("4 SIGSTOP and thaw", scenario_sigstop),
                         ("5 restart rebalance", scenario_restart_rebalance)]:
            say(f"scenario {name}")
            t = time.monotonic()
            try:
                dead = [n.id for n in nodes if not n.alive()]
                check(not dead, f"nodes not running before the scenario: {dead}")
                fn(cluster)
                print(f"PASS {name} ({time.monotonic() - t:.1f} s)", flush=True)
                results.append((name, True))
            except (CheckFailed, RuntimeError, OSError, http.client.HTTPException, subprocess.SubprocessError,
                    KeyError, ValueError) as e:
                print(f"FAIL {name} ({time.monotonic() - t:.1f} s): {type(e).__name__}: {e}", flush=True)
                results.append((name, False))
                failed = True
                # later scenarios need three running nodes
                for n in nodes:
                    if n.stopped:
                        n.signal(signal.SIGCONT)
                    if not n.alive():
                        try:
                            n.start()
                            n.wait_ready(60)
                        except CheckFailed as e2:
                            print(f"  cannot restart {n.id}: {e2}", flush=True)
        print("summary: " + ", ".join(f"{'PASS' if ok else 'FAIL'} {name}" for name, ok in results)
              + f"; total {time.monotonic() - T0:.1f} s", flush=True)
        return 1 if failed else 0
    finally:
        if failed:
            for n in nodes:
                print(f"--- last lines of {n.log} ({n.id}) ---\n{n.tail(40)}", flush=True)
            print(nginx.tails(), flush=True)
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
