//! The impossible travel kind: each group's (user's) event compared with the
//! place of its previous one, within the window and in either time order;
//! too far too fast is an alert. The newer place is kept; events without a
//! place are skipped.

use super::hit::{Hit, group_key};
use super::record::EventRecord;
use crate::event::path::value_lookup;
use crate::event::text::{number_of, scalar_text};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// Where and when a group (a user) was last seen, for impossible travel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Stop {
    at: DateTime<Utc>,
    id: uuid::Uuid,
    /// Micro-degrees: integers survive a checkpoint's JSON exactly.
    lat_e6: i32,
    lon_e6: i32,
    /// "London, GB": for the alert's summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    label: Option<Box<str>>,
}

/// What an impossible travel rule remembers: what a checkpoint saves.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Places {
    /// Per group: where its newest event was.
    last: HashMap<String, Stop>,
}

/// An impossible travel rule's settings and the places it knows.
#[derive(Debug)]
pub struct Travel {
    by: Vec<String>,
    field: String,
    max_speed_kmh: u32,
    min_distance_km: u32,
    window_secs: u64,
    /// What a checkpoint saves.
    pub places: Places,
}

impl Travel {
    /// Returns an impossible travel kind that knows no place yet.
    pub fn new(
        by: &[String],
        field: &str,
        max_speed_kmh: u32,
        min_distance_km: u32,
        window_secs: u64,
    ) -> Travel {
        Travel {
            by: by.to_vec(),
            field: field.to_owned(),
            max_speed_kmh,
            min_distance_km,
            window_secs,
            places: Places::default(),
        }
    }

    /// Takes a selected event with a place; returns the alert of a move too
    /// far too fast from the group's previous place.
    pub fn advance(&mut self, event: &EventRecord) -> Vec<Hit> {
        let Some((key, values)) = group_key(&event.document, &self.by) else {
            return Vec::new();
        };
        let Some(here) = stop_of(event, &self.field) else {
            return Vec::new();
        };
        let window = Duration::seconds(self.window_secs as i64);
        let last = &mut self.places.last;
        let Some(previous) = last
            .get(&key)
            .filter(|p| (event.timestamp - p.at).abs() <= window)
        else {
            last.insert(key, here);
            return Vec::new();
        };
        let (earlier, later) = if previous.at <= here.at {
            (previous.clone(), here)
        } else {
            (here, previous.clone())
        };
        let hit = travel(
            &earlier,
            &later,
            self.max_speed_kmh,
            self.min_distance_km,
            values,
        );
        // The newer place is where the group is now.
        last.insert(key, later);
        hit.into_iter().collect()
    }

    /// How many groups' places it remembers.
    pub fn remembered(&self) -> usize {
        self.places.last.len()
    }

    /// Lets go of the least recently seen groups beyond `cap`.
    pub fn cap(&mut self, cap: usize) -> u64 {
        super::cap::trim(&mut self.places.last, cap, |stop| Some(stop.at))
    }

    /// Lets go of places older than the window, given the newest event's time.
    pub fn sweep(&mut self, horizon: impl Fn(u64) -> DateTime<Utc>) {
        let oldest = horizon(self.window_secs);
        self.places.last.retain(|_, stop| stop.at >= oldest);
    }
}

/// Where `event` was, from the geo point at `field` and the place names
/// beside it (`city_name`, `country_iso_code`, as ECS puts them).
fn stop_of(event: &EventRecord, field: &str) -> Option<Stop> {
    let object = event.document.as_object()?;
    let (lat, lon) = geo_point(value_lookup(object, field)?)?;
    let parent = field.rsplit_once('.').map_or("", |(parent, _)| parent);
    let name = |leaf: &str| {
        let path = if parent.is_empty() {
            leaf.to_owned()
        } else {
            format!("{parent}.{leaf}")
        };
        value_lookup(object, &path).and_then(scalar_text)
    };
    let label = match (name("city_name"), name("country_iso_code")) {
        (Some(city), Some(country)) => Some(format!("{city}, {country}")),
        (city, country) => city.or(country),
    };
    Some(Stop {
        at: event.timestamp,
        id: event.id,
        lat_e6: (lat * 1e6).round() as i32,
        lon_e6: (lon * 1e6).round() as i32,
        label: label.map(String::into_boxed_str),
    })
}

impl Stop {
    fn degrees(&self) -> (f64, f64) {
        (f64::from(self.lat_e6) / 1e6, f64::from(self.lon_e6) / 1e6)
    }
}

/// A geo point as ECS and Elasticsearch accept it: `{"lat", "lon"}`,
/// `"lat,lon"`, `[lon, lat]` (GeoJSON order) or `"POINT (lon lat)"`.
pub fn geo_point(value: &Value) -> Option<(f64, f64)> {
    let (lat, lon) = match value {
        Value::Object(map) => (number_of(map.get("lat")?)?, number_of(map.get("lon")?)?),
        Value::Array(items) if items.len() == 2 => (number_of(&items[1])?, number_of(&items[0])?),
        Value::String(text) => {
            let text = text.trim();
            if let Some(inner) = text
                .strip_prefix("POINT")
                .map(str::trim_start)
                .and_then(|t| t.strip_prefix('('))
                .and_then(|t| t.strip_suffix(')'))
            {
                let mut parts = inner.split_whitespace();
                let lon = parts.next()?.parse::<f64>().ok()?;
                let lat = parts.next()?.parse::<f64>().ok()?;
                (lat, lon)
            } else {
                let (lat, lon) = text.split_once(',')?;
                (lat.trim().parse().ok()?, lon.trim().parse().ok()?)
            }
        }
        _ => return None,
    };
    let valid = lat.is_finite()
        && lon.is_finite()
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lon);
    valid.then_some((lat, lon))
}

/// The alert for a move from `earlier` to `later`, if it is too far too fast.
fn travel(
    earlier: &Stop,
    later: &Stop,
    max_speed_kmh: u32,
    min_distance_km: u32,
    group: BTreeMap<String, String>,
) -> Option<Hit> {
    let km = crate::ingest::geoip::distance_km(earlier.degrees(), later.degrees());
    if km < f64::from(min_distance_km) || km < 1.0 {
        return None;
    }
    let seconds = (later.at - earlier.at).num_milliseconds() as f64 / 1000.0;
    // Within a second nothing is possible but staying put.
    let kmh = km / (seconds.max(1.0) / 3600.0);
    if kmh <= f64::from(max_speed_kmh) {
        return None;
    }
    let label = |stop: &Stop| {
        stop.label.as_deref().map_or_else(
            || {
                let (lat, lon) = stop.degrees();
                format!("{lat:.2},{lon:.2}")
            },
            str::to_owned,
        )
    };
    let facts = BTreeMap::from([
        ("distance_km", format!("{km:.0}")),
        ("speed_kmh", format!("{kmh:.0}")),
        ("elapsed", elapsed_text(seconds)),
        ("from", label(earlier)),
        ("to", label(later)),
    ]);
    Some(Hit {
        events: vec![(earlier.at, earlier.id), (later.at, later.id)],
        start: earlier.at,
        end: later.at,
        group,
        facts,
    })
}

/// `45 s`, `12 min`, `3 h 5 min`.
fn elapsed_text(seconds: f64) -> String {
    let secs = seconds.max(0.0).round() as u64;
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s % 3600 < 60 => format!("{} h", s / 3600),
        s => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}
