//! My health on screen: the menu's summaries, a section's rows (a window of them around the
//! focus), and a result's trend. A room of the app controller: it reads the controller's state.

use super::*;
use crate::ui::convert::photo_image;

/// Takes a new record for My health (a no-op when nothing changed).
/// Also called every minute: "Today and tomorrow" is put in order again as appointments pass.
pub(super) fn set_record(globals: &HealthState, st: &mut State, record: Arc<Record>) {
    let now = st
        .time
        .now()
        .to_zoned(jiff::tz::TimeZone::system())
        .map_or_else(|_| jiff::Timestamp::now(), |z| z.timestamp());
    let record = arranged(record, now);
    let ahead = record.ahead(now);
    let same = Arc::ptr_eq(&st.record, &record) || *st.record == *record;
    if same && st.record_generation > 0 && ahead == st.today_ahead {
        return;
    }
    let int_model = |values: Vec<i32>| ModelRc::from(Rc::new(VecModel::from(values)));
    globals.set_health_counts(int_model(
        record.counts().iter().map(|n| *n as i32).collect(),
    ));
    globals.set_health_extra(int_model(
        Section::ALL
            .iter()
            .map(|s| extra(*s, &record, ahead) as i32)
            .collect(),
    ));
    st.shell.set_record_counts(record.counts());
    st.shell
        .set_family(record.family().iter().map(|m| m.key.clone()).collect());
    if !same || st.record_generation == 0 {
        st.shell
            .set_learn(std::sync::Arc::new(record.learn().to_vec()));
        st.shell
            .set_learn_catalogue(std::sync::Arc::new(record.catalogue().to_vec()));
    }
    st.record = record;
    st.today_ahead = ahead;
    st.record_generation += 1;
}

/// The record with "Today and tomorrow" in order at `now` (the same record when it already is;
/// a copy only when an appointment has just passed).
pub(super) fn arranged(record: Arc<Record>, now: jiff::Timestamp) -> Arc<Record> {
    let mut today = Record::default();
    today.set(Section::Today, record.rows(Section::Today).to_vec());
    if !today.arrange_today(now) {
        return record;
    }
    let mut whole = (*record).clone();
    whole.set(Section::Today, today.rows(Section::Today).to_vec());
    Arc::new(whole)
}

/// What the My health menu says beside a section's count (the words are in my-health.slint):
/// for Today and tomorrow what is still ahead, for results and vital signs how many are outside
/// normal.
pub(super) fn extra(section: Section, record: &Record, ahead: usize) -> usize {
    match section {
        Section::Today => ahead,
        Section::Results | Section::Vitals => record
            .rows(section)
            .iter()
            .filter(|r| matches!(r.flag, Flag::High | Flag::Low | Flag::Critical))
            .count(),
        _ => 0,
    }
}

/// Copies the shell state into the globals. Slint only redraws what a changed property touches,
/// so showing everything after each press costs nothing for what stayed the same.
/// Fills `HealthState.record-rows` with the open section's rows, their times said against the
/// clock on screen; only when the section, the data or the minute changed.
/// Rows of a section held in `HealthState.record-rows` at once: a window around the focus, so a
/// list of 300 tests costs what a list of 24 does. Scrolling slides the window one row at a
/// time (one row out, one in), never rebuilding it.
pub(super) const ROW_WINDOW: usize = 24;

pub(super) fn show_record(globals: &HealthState, state: &State, section: Section) {
    // To the minute: the times are said in minutes, and the clock ticks once a minute.
    let now = state.time.now();
    let now = now
        .with()
        .second(0)
        .subsec_nanosecond(0)
        .build()
        .unwrap_or(now);
    let key = (section, state.record_generation, now);
    let mut shown = state.rows_shown.borrow_mut();
    let zoned = now
        .to_zoned(jiff::tz::TimeZone::system())
        .unwrap_or_else(|_| jiff::Zoned::now());
    let all = state.record.rows(section);
    let row = |i: usize| ui_row(&all[i], &zoned, state.clock_style);
    let size = ROW_WINDOW.min(all.len());
    let target = state
        .shell
        .focus()
        .saturating_sub(ROW_WINDOW / 2)
        .min(all.len() - size);
    let mut first = state.rows_first.get();
    let model = &state.record_rows;
    if shown.as_ref() != Some(&key) || first.abs_diff(target) >= size.max(1) {
        model.set_vec((target..target + size).map(row).collect::<Vec<_>>());
        first = target;
    } else {
        while first < target {
            model.remove(0);
            model.push(row(first + size));
            first += 1;
        }
        while first > target {
            first -= 1;
            model.remove(model.row_count() - 1);
            model.insert(0, row(first));
        }
    }
    state.rows_first.set(first);
    globals.set_record_section(section.index() as i32);
    globals.set_record_first(first as i32);
    globals.set_record_total(all.len() as i32);
    *shown = Some(key);
}

pub(crate) fn ui_flag(flag: Flag) -> ui::Flag {
    match flag {
        Flag::None => ui::Flag::None,
        Flag::Normal => ui::Flag::Normal,
        Flag::High => ui::Flag::High,
        Flag::Low => ui::Flag::Low,
        Flag::Critical => ui::Flag::Critical,
    }
}

/// A row as the screens show it, its time said against the clock on screen.
pub(super) fn ui_row(r: &Row, now: &jiff::Zoned, style: ClockStyle) -> ui::RecordRow {
    ui::RecordRow {
        title: r.title.as_str().into(),
        detail: r.detail.as_str().into(),
        value: r.value.as_str().into(),
        when: r.when.text(now, style).into(),
        flag: ui_flag(r.flag),
        photo: r.photo.as_ref().map(photo_image).unwrap_or_default(),
        has_photo: r.photo.is_some(),
    }
}

/// Values of a trend listed beside its chart, newest first.
pub(super) const TREND_HISTORY: usize = 8;

/// As many as fit beside the chart in large text.
pub(super) const TREND_HISTORY_LARGE: usize = 5;

/// Fills the Trend screen from the focused row of `section`.
pub(super) fn show_trend(globals: &HealthState, state: &State, section: Section) {
    let now = state.time.now();
    let zoned = now
        .to_zoned(jiff::tz::TimeZone::system())
        .unwrap_or_else(|_| jiff::Zoned::now());
    let rows = state.record.rows(section);
    let Some(row) = rows.get(state.shell.focus()) else {
        globals.set_trend_row(ui::RecordRow::default());
        globals.set_trend_has_chart(false);
        globals.set_trend_history(ModelRc::default());
        return;
    };
    globals.set_record_section(section.index() as i32);
    globals.set_record_total(rows.len() as i32);
    globals.set_trend_row(ui_row(row, &zoned, state.clock_style));
    let trend = row.trend.clone().unwrap_or_default();
    let history: Vec<ui::RecordRow> = trend
        .points
        .iter()
        .rev()
        .take(if state.shell.settings().text_size == TextSize::Large {
            TREND_HISTORY_LARGE
        } else {
            TREND_HISTORY
        })
        .map(|p| ui::RecordRow {
            value: p.text.as_str().into(),
            when: crate::domain::record::When::At("", p.at)
                .text(&zoned, state.clock_style)
                .into(),
            flag: ui_flag(p.flag),
            ..Default::default()
        })
        .collect();
    globals.set_trend_history(ModelRc::from(Rc::new(VecModel::from(history))));
    let Some(chart) = trend.chart() else {
        globals.set_trend_has_chart(false);
        globals.set_trend_dots(ModelRc::default());
        globals.set_trend_line(ModelRc::default());
        globals.set_trend_line2(ModelRc::default());
        return;
    };
    // The line as segments between consecutive values.
    let line = |pick: fn(&ChartPoint) -> Option<f64>| {
        let ends: Vec<(f64, f64)> = chart
            .points
            .iter()
            .filter_map(|p| Some((p.x, pick(p)?)))
            .collect();
        let segments: Vec<ui::ChartSegment> = ends
            .windows(2)
            .map(|w| ui::ChartSegment {
                x1: w[0].0 as f32,
                y1: w[0].1 as f32,
                x2: w[1].0 as f32,
                y2: w[1].1 as f32,
            })
            .collect();
        ModelRc::from(Rc::new(VecModel::from(segments)))
    };
    let dots: Vec<ui::ChartDot> = chart
        .points
        .iter()
        .map(|p| ui::ChartDot {
            x: p.x as f32,
            y: p.y as f32,
            y2: p.y2.map_or(-1.0, |v| v as f32),
            flag: ui_flag(p.flag),
        })
        .collect();
    globals.set_trend_has_chart(true);
    globals.set_trend_dots(ModelRc::from(Rc::new(VecModel::from(dots))));
    globals.set_trend_line(line(|p| Some(p.y)));
    globals.set_trend_line2(line(|p| p.y2));
    let (low, high) = chart.band.unwrap_or((-1.0, -1.0));
    globals.set_trend_band_low(low as f32);
    globals.set_trend_band_high(high as f32);
    globals.set_trend_top(crate::domain::plain::trim_number(chart.top).into());
    globals.set_trend_bottom(crate::domain::plain::trim_number(chart.bottom).into());
    let date = |p: &ChartPoint| {
        crate::domain::plain::long_date(p.at.to_zoned(zoned.time_zone().clone()).date())
    };
    globals.set_trend_first(chart.points.first().map(date).unwrap_or_default().into());
    globals.set_trend_last(chart.points.last().map(date).unwrap_or_default().into());
}
