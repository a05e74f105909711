//! Introspection of serde-derived input types: the field names of a struct and the variant
//! names (and variant fields) of an enum, exactly as a RON file spells them.
//!
//! Why: the reference pages in `docs/` must list every field users can write. Rather than
//! keeping a hand-written list in step with the types, tests ask the types themselves. serde's
//! derive passes the names to `Deserializer::deserialize_struct(name, fields, ..)` and
//! `deserialize_enum(name, variants, ..)` as `&'static` slices; the tiny deserializer below
//! records them and then stops with an error, so nothing is ever actually deserialized.

use serde::de::{self, DeserializeOwned, Visitor};

/// What the capturing deserializer saw.
#[derive(Debug, Default)]
struct Captured {
    name: &'static str,
    names: &'static [&'static str],
}

/// The error that ends every capture (serde requires a `de::Error`).
#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("schema introspection stop")
    }
}
impl std::error::Error for Stop {}
impl de::Error for Stop {
    fn custom<T: std::fmt::Display>(_msg: T) -> Self {
        Stop
    }
}

/// What to do when an enum is reached: record its variants, or descend into one variant.
#[derive(Clone, Copy)]
enum Mode {
    Top,
    Variant(&'static str),
}

struct Capture<'a> {
    out: &'a mut Captured,
    mode: Mode,
}

impl<'de> de::Deserializer<'de> for Capture<'_> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _v: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(self, name: &'static str, fields: &'static [&'static str], _v: V) -> Result<V::Value, Stop> {
        self.out.name = name;
        self.out.names = fields;
        Err(Stop)
    }

    fn deserialize_enum<V: Visitor<'de>>(self, name: &'static str, variants: &'static [&'static str], v: V) -> Result<V::Value, Stop> {
        self.out.name = name;
        self.out.names = variants;
        match self.mode {
            Mode::Top => Err(Stop),
            Mode::Variant(variant) => v.visit_enum(VariantCapture { out: self.out, variant }),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map identifier
        ignored_any
    }
}

/// Hands serde's enum visitor the chosen variant, then records the fields of that variant.
struct VariantCapture<'a> {
    out: &'a mut Captured,
    variant: &'static str,
}

impl<'de, 'a> de::EnumAccess<'de> for VariantCapture<'a> {
    type Error = Stop;
    type Variant = Self;

    fn variant_seed<S: de::DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Stop> {
        let de: de::value::StrDeserializer<'_, Stop> = de::IntoDeserializer::into_deserializer(self.variant);
        let value = seed.deserialize(de)?;
        Ok((value, self))
    }
}

impl<'de> de::VariantAccess<'de> for VariantCapture<'_> {
    type Error = Stop;

    fn unit_variant(self) -> Result<(), Stop> {
        self.out.names = &[];
        Err(Stop)
    }
    fn newtype_variant_seed<S: de::DeserializeSeed<'de>>(self, _s: S) -> Result<S::Value, Stop> {
        self.out.names = &[];
        Err(Stop)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _v: V) -> Result<V::Value, Stop> {
        self.out.names = &[];
        Err(Stop)
    }
    fn struct_variant<V: Visitor<'de>>(self, fields: &'static [&'static str], _v: V) -> Result<V::Value, Stop> {
        self.out.name = self.variant;
        self.out.names = fields;
        Err(Stop)
    }
}

fn capture<T: DeserializeOwned>(mode: Mode) -> Captured {
    let mut out = Captured::default();
    // The result is always the `Stop` error by construction; only `out` matters.
    let _ = T::deserialize(Capture { out: &mut out, mode });
    out
}

/// The serde name of struct `T` and its field names as written in files. For a type that is
/// not a derived struct, the name is `""` and the list empty.
pub fn struct_fields<T: DeserializeOwned>() -> (&'static str, &'static [&'static str]) {
    let c = capture::<T>(Mode::Top);
    (c.name, c.names)
}

/// The serde name of enum `T` and its variant names. For a type that is not a derived enum,
/// the name is `""` and the list empty.
pub fn enum_variants<T: DeserializeOwned>() -> (&'static str, &'static [&'static str]) {
    let c = capture::<T>(Mode::Top);
    (c.name, c.names)
}

/// The field names of struct variant `variant` of enum `T` (empty for unit, newtype and
/// tuple variants, and for a name that is not a variant).
pub fn variant_fields<T: DeserializeOwned>(variant: &str) -> &'static [&'static str] {
    let (_, variants) = enum_variants::<T>();
    let Some(&name) = variants.iter().find(|v| **v == variant) else {
        return &[];
    };
    let c = capture::<T>(Mode::Variant(name));
    if c.name == name { c.names } else { &[] }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    #[serde(rename = "Thing", deny_unknown_fields)]
    #[allow(dead_code)]
    struct Thing {
        a: u32,
        #[serde(rename = "bee")]
        b: Option<String>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    enum Shape {
        Dot,
        Circle { radius: u32, filled: bool },
        Pair(u8, u8),
    }

    #[test]
    fn captures_struct_fields_with_renames() {
        assert_eq!(struct_fields::<Thing>(), ("Thing", &["a", "bee"][..]));
    }

    #[test]
    fn captures_enum_variants_and_their_fields() {
        assert_eq!(enum_variants::<Shape>(), ("Shape", &["Dot", "Circle", "Pair"][..]));
        assert_eq!(variant_fields::<Shape>("Circle"), &["radius", "filled"]);
        assert!(variant_fields::<Shape>("Dot").is_empty());
        assert!(variant_fields::<Shape>("Pair").is_empty());
        assert!(variant_fields::<Shape>("Nope").is_empty());
    }

    #[test]
    fn non_struct_types_give_nothing() {
        assert_eq!(struct_fields::<u32>(), ("", &[][..]));
        assert_eq!(enum_variants::<Vec<u8>>(), ("", &[][..]));
    }
}
