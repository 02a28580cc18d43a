"""``python -m tests.ncip_responder --schema-dir DIR``: serve on a free loopback port, print it, run until killed."""

from __future__ import annotations

import argparse
import sys

from .server import serve

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--schema-dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    arguments = parser.parse_args()
    server = serve(schema_dir=arguments.schema_dir, port=arguments.port)
    print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    sys.stdout.close()
    server.serve_forever()
