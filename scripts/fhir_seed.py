#!/usr/bin/env python3
"""Puts a hospital's worth of state on a FHIR R4 test server, for `make run` and the sync tests.

Standard library only. Every command prints one line of JSON with the ids it made or touched.

  fhir_seed.py BASE bed --bed SYSTEM|VALUE [--name NAME]        a bed Location (made once)
  fhir_seed.py BASE device --device SYSTEM|VALUE                 this box's Device (made once)
  fhir_seed.py BASE load BUNDLE.json                             a Synthea transaction, as it is
  fhir_seed.py BASE admit --patient ID --bed-id ID               an in-progress inpatient Encounter
  fhir_seed.py BASE discharge --encounter ID                     finish it
  fhir_seed.py BASE transfer --encounter ID --bed-id ID          move it to another bed
  fhir_seed.py BASE observe --patient ID [--code C --value V]    add a vital-sign Observation
  fhir_seed.py BASE demo --bundle B --bed S|V --device S|V       bed + device + load + admit
"""
import argparse
import datetime
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

HEADERS = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
if os.environ.get("FHIR_SEED_TOKEN"):  # a static bearer token, for a server that wants one
    HEADERS["Authorization"] = "Bearer " + os.environ["FHIR_SEED_TOKEN"]


def call(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=HEADERS)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            text = resp.read()
            return json.loads(text) if text else {}
    except urllib.error.HTTPError as e:
        sys.exit(f"fhir_seed: {method} {url}: HTTP {e.code}: {e.read()[:500]!r}")


def now(offset_hours=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=offset_hours)
    return t.isoformat(timespec="seconds")


def identifier(text):
    system, _, value = text.partition("|")
    return {"system": system, "value": value}


def find_one(base, kind, ident):
    b = call("GET", f"{base}/{kind}?identifier={urllib.parse.quote(ident)}")
    for e in b.get("entry", []):
        r = e["resource"]
        if any(i.get("system") + "|" + i.get("value") == ident for i in r.get("identifier", [])):
            return r
    return None


def ensure_bed(base, ident, name):
    found = find_one(base, "Location", ident)
    if found:
        return found["id"]
    loc = {
        "resourceType": "Location",
        "identifier": [identifier(ident)],
        "status": "active",
        "operationalStatus": {"system": "http://terminology.hl7.org/CodeSystem/v2-0116", "code": "O"},
        "name": name or ident.partition("|")[2],
        "mode": "instance",
        "physicalType": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/location-physical-type", "code": "bd",
            "display": "Bed"}]},
    }
    return call("POST", f"{base}/Location", loc)["id"]


def ensure_device(base, ident):
    found = find_one(base, "Device", ident)
    if found:
        return found["id"]
    dev = {"resourceType": "Device", "identifier": [identifier(ident)], "status": "active",
           "deviceName": [{"name": "Bedside TV", "type": "user-friendly-name"}]}
    return call("POST", f"{base}/Device", dev)["id"]


def load(base, path):
    with open(path, "rb") as f:
        bundle = json.load(f)
    answer = call("POST", base, bundle)
    for entry in answer.get("entry", []):
        r = entry.get("resource") or {}
        loc = entry.get("response", {}).get("location", "")
        if r.get("resourceType") == "Patient":
            return r["id"]
        if "/Patient/" in "/" + loc:
            return loc.split("Patient/")[1].split("/")[0]
    sys.exit("fhir_seed: the bundle made no Patient")


def admit(base, patient, bed_id):
    enc = {
        "resourceType": "Encounter",
        "status": "in-progress",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP",
                  "display": "inpatient encounter"},
        "subject": {"reference": f"Patient/{patient}"},
        "period": {"start": now(-26)},
        "location": [{"location": {"reference": f"Location/{bed_id}"}, "status": "active"}],
    }
    return call("POST", f"{base}/Encounter", enc)["id"]


def update_encounter(base, enc_id, change):
    enc = call("GET", f"{base}/Encounter/{enc_id}")
    change(enc)
    call("PUT", f"{base}/Encounter/{enc_id}", enc)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("base")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("bed"); s.add_argument("--bed", required=True); s.add_argument("--name")
    s = sub.add_parser("device"); s.add_argument("--device", required=True)
    s = sub.add_parser("load"); s.add_argument("bundle")
    s = sub.add_parser("admit"); s.add_argument("--patient", required=True); s.add_argument("--bed-id", required=True)
    s = sub.add_parser("discharge"); s.add_argument("--encounter", required=True)
    s = sub.add_parser("transfer"); s.add_argument("--encounter", required=True); s.add_argument("--bed-id", required=True)
    s = sub.add_parser("observe"); s.add_argument("--patient", required=True)
    s.add_argument("--code", default="8867-4"); s.add_argument("--value", type=float, default=72)
    s = sub.add_parser("demo"); s.add_argument("--bundle", required=True)
    s.add_argument("--bed", required=True); s.add_argument("--device", required=True); s.add_argument("--name")
    a = p.parse_args()
    base = a.base.rstrip("/")

    if a.cmd == "bed":
        out = {"location": ensure_bed(base, a.bed, a.name)}
    elif a.cmd == "device":
        out = {"device": ensure_device(base, a.device)}
    elif a.cmd == "load":
        out = {"patient": load(base, a.bundle)}
    elif a.cmd == "admit":
        out = {"encounter": admit(base, a.patient, a.bed_id)}
    elif a.cmd == "discharge":
        def finish(enc):
            enc["status"] = "finished"
            enc.setdefault("period", {})["end"] = now()
            for l in enc.get("location", []):
                l["status"] = "completed"
        update_encounter(base, a.encounter, finish)
        out = {"encounter": a.encounter}
    elif a.cmd == "transfer":
        def move(enc):
            for l in enc.get("location", []):
                l["status"] = "completed"
            enc["location"].append({"location": {"reference": f"Location/{a.bed_id}"}, "status": "active"})
        update_encounter(base, a.encounter, move)
        out = {"encounter": a.encounter}
    elif a.cmd == "observe":
        obs = {
            "resourceType": "Observation", "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "vital-signs"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": a.code}]},
            "subject": {"reference": f"Patient/{a.patient}"},
            "effectiveDateTime": now(),
            "valueQuantity": {"value": a.value, "unit": "/min", "system": "http://unitsofmeasure.org",
                              "code": "/min"},
        }
        out = {"observation": call("POST", f"{base}/Observation", obs)["id"]}
    elif a.cmd == "demo":
        bed = ensure_bed(base, a.bed, a.name)
        device = ensure_device(base, a.device)
        patient = load(base, a.bundle)
        out = {"location": bed, "device": device, "patient": patient,
               "encounter": admit(base, patient, bed)}
    print(json.dumps(out))


if __name__ == "__main__":

    main()
