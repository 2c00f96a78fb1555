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
  fhir_seed.py BASE ward --patient ID --encounter ID [--now T]    an inpatient's day around them:
      care team (the official example practitioner with a photo, a nurse on shift, a physical
      therapist), appointments today and tomorrow, an expected discharge date, a diet order, and
      doses of the active medicines given this morning. --now (ISO 8601, UTC) fixes the day.
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


SNOMED = "http://snomed.info/sct"
# HL7's example practitioner with a photo (CC0), copied into the demo assets.
DOCTOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets", "demo",
                      "practitioner-f005.json")
# The rest of an inpatient's day, shared with the built-in demo (src/demo.rs).
WARD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets", "demo", "ward.json")


def iso(t):
    return t.isoformat(timespec="seconds").replace("+00:00", "Z")


def timed(text, now):
    """'@now+80m', '@now-1.5h' and '@day+1T09:30' (see assets/demo/ward.json) as UTC times."""
    if text.startswith("@now"):
        amount, unit = float(text[4:-1]), text[-1]
        return iso(now + datetime.timedelta(minutes=amount if unit == "m" else amount * 60))
    days, _, clock = text[5:].partition("T")
    hour, minute = (int(x) for x in clock.split(":"))
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return iso(day + datetime.timedelta(days=int(days), hours=hour, minutes=minute))


def filled(value, now, ids):
    """The template with its times and ids made real."""
    if isinstance(value, dict):
        return {k: filled(v, now, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [filled(v, now, ids) for v in value]
    if isinstance(value, str):
        if value.startswith(("@now", "@day")):
            return timed(value, now)
        if value.startswith("@media/") and ids.get("@media"):
            media = ids["@media"]
            prefix = media if media.startswith(("http://", "https://")) else "file://" + media
            return prefix.rstrip("/") + "/" + value[len("@media/"):]
        kind, slash, local = value.partition("/")
        if slash and local in ids:
            return f"{kind}/{ids[local]}"
    return value


def ward(base, patient, enc_id, now_text, media=None):
    now = (datetime.datetime.fromisoformat(now_text.replace("Z", "+00:00")) if now_text
           else datetime.datetime.now(datetime.timezone.utc))
    if now.tzinfo is None:
        now = now.replace(tzinfo=datetime.timezone.utc)
    # The attending: HL7's own example practitioner, photo and all (CC0), under its own id.
    with open(DOCTOR) as f:
        doctor = json.load(f)
    doctor.pop("text", None)
    call("PUT", f"{base}/Practitioner/{doctor['id']}", doctor)
    # The rest of the day from the template the built-in demo shows too, each resource under the
    # id the server gives it (the template's ids are only for its own references).
    with open(WARD) as f:
        template = json.load(f)["resources"]
    ids = {"@patient": patient, "@encounter": enc_id, doctor["id"]: doctor["id"],
           "@media": media and (media if media.startswith(("http://", "https://"))
                                else os.path.abspath(media))}
    made = {}
    for resource in template:
        local = resource.pop("id")
        body = filled(resource, now, ids)
        ids[local] = call("POST", f"{base}/{body['resourceType']}", body)["id"]
        made.setdefault(body["resourceType"], []).append(ids[local])

    # The day they are expected to go home: the encounter's planned end.
    def expect_home(enc):
        enc.setdefault("period", {})["end"] = timed("@day+2T11:00", now)
    update_encounter(base, enc_id, expect_home)

    given = []
    subject = {"reference": f"Patient/{patient}"}
    found = call("GET", f"{base}/MedicationRequest?patient={patient}&status=active&_count=100")
    for e in found.get("entry", []):
        req = e["resource"]
        given.append(call("POST", f"{base}/MedicationAdministration", {
            "resourceType": "MedicationAdministration", "status": "completed",
            "medicationCodeableConcept": req.get("medicationCodeableConcept",
                                                 {"text": "Medicine"}),
            "subject": subject, "context": {"reference": f"Encounter/{enc_id}"},
            "request": {"reference": f"MedicationRequest/{req['id']}"},
            "effectiveDateTime": timed("@now-90m", now)})["id"])
    return {"care_team": made["CareTeam"][0],
            "practitioners": [doctor["id"]] + made["Practitioner"],
            "appointments": made["Appointment"], "nutrition_order": made["NutritionOrder"][0],
            "tasks": made["Task"], "administrations": given}


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
    s = sub.add_parser("ward"); s.add_argument("--patient", required=True)
    s.add_argument("--encounter", required=True); s.add_argument("--now")
    s.add_argument("--media", help="where '@media/' URLs of the template point (a directory, or an http(s) URL)")
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
    elif a.cmd == "ward":
        out = ward(base, a.patient, a.encounter, a.now, a.media)
    elif a.cmd == "demo":
        bed = ensure_bed(base, a.bed, a.name)
        device = ensure_device(base, a.device)
        patient = load(base, a.bundle)
        out = {"location": bed, "device": device, "patient": patient,
               "encounter": admit(base, patient, bed)}
    print(json.dumps(out))


if __name__ == "__main__":

    main()
