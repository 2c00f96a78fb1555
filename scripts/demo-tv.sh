#!/usr/bin/env bash
# Makes a small TV head-end for `make run` in target/demo/tv (once): three channels as looping
# clips GStreamer makes itself, a programme guide for today around the current time, a film with
# captions, a relaxation video, posters. Prints the [tv] section of a config that uses them.
set -euo pipefail
cd "$(dirname "$0")/.."
tv="$PWD/target/demo/tv"
mkdir -p "$tv"
clip() { # name pattern seconds [extra videotestsrc properties]
  [ -s "$tv/$1" ] && return
  gst-launch-1.0 -q videotestsrc num-buffers=$(( $3 * 25 )) pattern="$2" ${4:-} \
    ! video/x-raw,width=1280,height=720,framerate=25/1 ! x264enc speed-preset=veryfast key-int-max=25 \
    ! h264parse ! mp4mux faststart=true ! filesink location="$tv/$1.tmp" && mv "$tv/$1.tmp" "$tv/$1"
}
poster() { # name pattern
  [ -s "$tv/$1" ] && return
  gst-launch-1.0 -q videotestsrc num-buffers=1 pattern="$2" ! video/x-raw,width=400,height=600 \
    ! pngenc ! filesink location="$tv/$1"
}
clip news.mp4 smpte 20
clip nature.mp4 ball 20
clip info.mp4 pinwheel 20
clip film.mp4 circular 90
clip relax.mp4 gradient 30 "foreground-color=0xff2060a0 background-color=0xff102030"
# Learn's demo video (assets/demo/ward.json assigns it, with the captions below).
clip learn-walking.mp4 ball 60 "foreground-color=0xff7fd18b background-color=0xff1c2430"
# Learn's demo PDF leaflet (assigned in assets/demo/ward.json; made by make-demo-leaflet.py).
cp assets/demo/learn-hand-hygiene.pdf "$tv/learn-hand-hygiene.pdf"
poster film.png zone-plate
poster relax.png gradient

cat > "$tv/lineup.m3u" <<M3U
#EXTM3U
#EXTINF:-1 tvg-id="news.demo" tvg-chno="1" group-title="News",Demo News
file://$tv/news.mp4
#EXTINF:-1 tvg-id="nature.demo" tvg-chno="2",Demo Nature
file://$tv/nature.mp4
#EXTINF:-1 tvg-id="info.demo" tvg-chno="3",Hospital Information
file://$tv/info.mp4
M3U

# The guide: half-hour programmes from two hours ago to a day ahead, on every channel.
python3 - "$tv/guide.xml" <<'PY'
import datetime, sys
now = datetime.datetime.now(datetime.timezone.utc).replace(minute=0, second=0, microsecond=0)
titles = {
    "news.demo": ["Morning News", "Weather", "Local Stories", "World Today", "Business", "Sport"],
    "nature.demo": ["Rivers and Lakes", "Birds of the Coast", "Mountain Year", "The Garden"],
    "info.demo": ["Welcome to the Ward", "Visiting Hours", "Staying Safe: Falls", "Your Meals"],
}
fmt = lambda t: t.strftime("%Y%m%d%H%M%S +0000")
out = ['<?xml version="1.0" encoding="UTF-8"?>', "<tv>"]
for ch, names in titles.items():
    t = now - datetime.timedelta(hours=2)
    i = 0
    while t < now + datetime.timedelta(hours=24):
        stop = t + datetime.timedelta(minutes=30 if i % 3 else 60)
        out.append(f'<programme start="{fmt(t)}" stop="{fmt(stop)}" channel="{ch}"><title>{names[i % len(names)]}</title></programme>')
        t, i = stop, i + 1
out.append("</tv>")
open(sys.argv[1], "w").write("\n".join(out))
PY

cat > "$tv/film.vtt" <<VTT
WEBVTT

00:00:01.000 --> 00:00:06.000
Captions are drawn by the TV itself:
large, on a dark box.

00:00:08.000 --> 00:00:14.000
Press the Captions key to turn them off.
VTT

cat > "$tv/learn-walking.vtt" <<VTT
WEBVTT

00:00:01.000 --> 00:00:07.000
Walking a little every day helps you
get your strength back after an operation.

00:00:09.000 --> 00:00:16.000
The first time, a nurse or a physiotherapist
walks with you.

00:00:18.000 --> 00:00:26.000
Stop and sit down if you feel dizzy,
and press your call button.
VTT

cat > "$tv/catalogue.json" <<JSON
{"items": [
  {"id": "circles", "title": "Circles", "synopsis": "A demo film made by GStreamer.", "rating": "U",
   "duration_minutes": 2, "poster": "film.png", "captions": [{"language": "en", "url": "film.vtt"}],
   "url": "film.mp4"},
  {"id": "evening-sky", "kind": "relaxation", "title": "Evening sky", "poster": "relax.png",
   "synopsis": "Slow colours", "url": "relax.mp4"}
]}
JSON

printf '[tv]\nplaylist = "%s"\nguide = "%s"\ncatalogue = "%s"\nmax_volume = 80\nquiet_hours = "22:00-07:00"\n' \
  "$tv/lineup.m3u" "$tv/guide.xml" "$tv/catalogue.json"
