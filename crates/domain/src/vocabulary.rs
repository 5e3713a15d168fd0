//! Closed vocabularies (statuses, states, kinds): one Rust enum each, spelled as the
//! database enum and the wire spell them (`snake_case`). The same type is used by the
//! repositories (read with a checked conversion: an unknown value is an error, never
//! a default), the use cases, the wire types (`flux-dto` re-exports it) and the SPA.

/// Declares a vocabulary: the enum with its words as serde names (and an OpenAPI
/// schema with the `openapi` feature; with `in "db_type"`, the PostgreSQL enum it is
/// stored as, with the `sqlx` feature), `ALL`, `as_str`, `Display` and `FromStr`.
/// The text of each variant is written out, so a rename is a visible change.
macro_rules! vocabulary {
    // A vocabulary the database stores as its enum type `$db`: with the `sqlx`
    // feature the repositories read and bind it directly.
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident in $db:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        vocabulary! {
            @define
            [$(#[$meta])* #[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(type_name = $db))]]
            $vis enum $name {
                $( $(#[$vmeta])* #[cfg_attr(feature = "sqlx", sqlx(rename = $text))] $variant = $text, )+
            }
        }
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        vocabulary! {
            @define [$(#[$meta])*] $vis enum $name { $( $(#[$vmeta])* $variant = $text, )+ }
        }
    };
    (
        @define [$(#[$meta:meta])*]
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        // Every word is its variant in snake_case: `rename_all` says so to the OpenAPI
        // schema, which does not read the per-variant names below.
        #[serde(rename_all = "snake_case")]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant, )+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::vocabulary::UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err($crate::vocabulary::UnknownValue {
                        vocabulary: stringify!($name),
                        value: other.to_owned(),
                    }),
                }
            }
        }
    };
}

/// A text that is no word of the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a {vocabulary}")]
pub struct UnknownValue {
    pub vocabulary: &'static str,
    pub value: String,
}

#[cfg(test)]
#[allow(unreachable_pub)]
mod tests {
    vocabulary! {
        /// A test vocabulary.
        pub enum Fruit {
            Apple = "apple",
            /// Two words.
            PassionFruit = "passion_fruit",
        }
    }

    #[test]
    fn words_round_trip_and_unknown_ones_are_errors() {
        for fruit in Fruit::ALL {
            assert_eq!(fruit.as_str().parse::<Fruit>(), Ok(*fruit));
            assert_eq!(
                serde_json::to_value(fruit).unwrap(),
                serde_json::json!(fruit.as_str())
            );
        }
        let error = "banana".parse::<Fruit>().unwrap_err();
        assert_eq!(error.to_string(), "\"banana\" is not a Fruit");
    }
}
