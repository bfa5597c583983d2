"""Throwaway local PostgreSQL and Spark Connect servers for the engine tests and the benchmark.

PostgreSQL: the distribution's binaries (``/usr/lib/postgresql/*/bin``), a fresh cluster in a
``mkdtemp`` folder (run as the ``postgres`` user when we are root: initdb refuses root), trust
auth on 127.0.0.1 and a free port, stopped with ``pg_ctl -m fast``.

Spark: the Spark Connect server class from the pyspark package, as one child JVM on
``local[2]`` with a fresh warehouse folder, ready when its log says so, stopped with SIGTERM
(then SIGKILL).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


@dataclass
class PgServer:
    url: str
    port: int
    folder: Path


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@contextlib.contextmanager
def postgres_server() -> Iterator[PgServer]:
    bindir = pg_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL binaries (initdb, pg_ctl) are not installed")
    folder = Path(tempfile.mkdtemp(prefix="shoplytics-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    port = free_port()
    try:
        subprocess.run(
            _as_postgres([str(bindir / "initdb"), "-D", str(data), "--auth=trust", "-E", "UTF8",
                          "--locale=C.UTF-8", "-U", "postgres"]),
            check=True, capture_output=True,
        )
        opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off"
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"),
                          "-o", opts, "-w", "-t", "60", "start"]),
            check=True, capture_output=True,
        )
        yield PgServer(f"postgresql://postgres@127.0.0.1:{port}/postgres", port, folder)
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                capture_output=True,
            )
        shutil.rmtree(folder, ignore_errors=True)


def spark_home() -> Path | None:
    try:
        import pyspark
    except ImportError:
        return None
    home = Path(pyspark.__file__).parent
    return home if list((home / "jars").glob("spark-connect_*.jar")) else None


@dataclass
class SparkServer:
    url: str
    port: int
    folder: Path


@contextlib.contextmanager
def spark_server(timeout: float = 180, memory: str = "1g") -> Iterator[SparkServer]:
    home = spark_home()
    if home is None or shutil.which("java") is None:
        raise RuntimeError("pyspark with Spark Connect, and java, are needed")
    folder = Path(tempfile.mkdtemp(prefix="shoplytics-spark-"))
    port = free_port()
    log = folder / "server.log"
    env = dict(os.environ)
    env.update(
        SPARK_HOME=str(home),
        SPARK_LOCAL_IP="127.0.0.1",
        PYSPARK_PYTHON=sys.executable,
        JAVA_TOOL_OPTIONS=f"-Djava.io.tmpdir={folder}",
    )
    conf = {
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        "spark.ui.enabled": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.warehouse.dir": str(folder / "warehouse"),
        "spark.driver.extraJavaOptions": f"-Djava.io.tmpdir={folder} -Dderby.system.home={folder}",
    }
    cmd = [str(home / "bin" / "spark-submit"), "--class",
           "org.apache.spark.sql.connect.service.SparkConnectServer",
           "--master", "local[2]", "--driver-memory", memory]
    for k, v in conf.items():
        cmd += ["--conf", f"{k}={v}"]
    jar = next((home / "jars").glob("spark-connect_*.jar"))
    cmd.append(str(jar))
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=folder,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            text = log.read_text(errors="replace")
            if "Spark Connect server started at" in text and proc.poll() is None:
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Spark Connect server did not start:\n{text[-3000:]}")
            time.sleep(0.5)
        yield SparkServer(f"sc://127.0.0.1:{port}", port, folder)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        shutil.rmtree(folder, ignore_errors=True)
