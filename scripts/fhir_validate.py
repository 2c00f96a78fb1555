#!/usr/bin/env python3
"""Validates FHIR R4 resources against the official JSON schema (fhir.schema.json).

  fhir_validate.py fhir.schema.json resources.json     (a JSON list of resources, or one)
Exit 0 when every resource conforms; otherwise prints each problem and exits 1.
"""
import json
import sys

import jsonschema


def main():
    schema = json.load(open(sys.argv[1]))
    data = json.load(open(sys.argv[2]))
    resources = data if isinstance(data, list) else [data]
    validator = jsonschema.Draft6Validator(schema)
    bad = 0
    for i, r in enumerate(resources):
        for err in validator.iter_errors(r):
            bad += 1
            path = "/".join(str(p) for p in err.absolute_path)
            print(f"resource {i} ({r.get('resourceType')}): {path}: {err.message[:300]}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
