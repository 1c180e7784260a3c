//! Reading a function's configuration from environment variables: one place for what "set", "on" and
//! "a number" mean, and for errors that name the variable.

/// Environment variables through a lookup function (`std::env::var` in the binaries, a map in tests).
pub struct Vars<F>(pub F);

/// A variable with a value that cannot be used. Only for variables whose values are not secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable {name}={value:?}: {problem}")]
pub struct VarError {
    pub name: &'static str,
    pub value: String,
    #[source]
    pub problem: VarProblem,
}

/// What is wrong with a variable's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VarProblem {
    #[error(transparent)]
    Value(#[from] ValueError),
    #[error("use on or off")]
    NotAFlag,
    #[error("expected a whole number ≥ {min}")]
    NumberBelow { min: u64 },
    #[error("expected a whole number from {min} to {max}")]
    NumberOutside { min: u64, max: u64 },
}

/// A text that does not parse as the value it should be: what was found, and what is wrong with it
/// (`"dynamo" is not a de-duplication mode: …`). Every configuration value's `FromStr` returns it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{found:?} {problem}")]
pub struct ValueError {
    pub found: String,
    pub problem: &'static str,
}

impl ValueError {
    pub fn new(found: &str, problem: &'static str) -> ValueError {
        ValueError {
            found: found.to_owned(),
            problem,
        }
    }
}

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    /// The value, when set and not blank.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    pub fn text(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or_else(|| default.to_owned())
    }

    pub fn invalid(
        &self,
        name: &'static str,
        value: String,
        problem: impl Into<VarProblem>,
    ) -> VarError {
        VarError {
            name,
            value,
            problem: problem.into(),
        }
    }

    /// The variable parsed as `T`, or `default` when it is not set.
    pub fn parsed<T>(&self, name: &'static str, default: &str) -> Result<T, VarError>
    where
        T: std::str::FromStr<Err = ValueError>,
    {
        let text = self.text(name, default);
        text.parse().map_err(|e| self.invalid(name, text, e))
    }

    /// `on`/`off` (also `true`/`false`, `1`/`0`, `yes`/`no`).
    pub fn flag(&self, name: &'static str, default: bool) -> Result<bool, VarError> {
        match self.get(name).as_deref().map(str::trim) {
            None => Ok(default),
            Some("on" | "true" | "1" | "yes") => Ok(true),
            Some("off" | "false" | "0" | "no") => Ok(false),
            Some(other) => Err(self.invalid(name, other.to_owned(), VarProblem::NotAFlag)),
        }
    }

    /// A whole number, at least `min`.
    pub fn number(&self, name: &'static str, default: u64, min: u64) -> Result<u64, VarError> {
        let text = self.text(name, &default.to_string());
        match text.trim().parse::<u64>() {
            Ok(n) if n >= min => Ok(n),
            _ => Err(self.invalid(name, text, VarProblem::NumberBelow { min })),
        }
    }

    /// A whole number from `min` to `max`.
    pub fn number_in(
        &self,
        name: &'static str,
        default: u64,
        min: u64,
        max: u64,
    ) -> Result<u64, VarError> {
        let text = self.text(name, &default.to_string());
        match text.trim().parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(self.invalid(name, text, VarProblem::NumberOutside { min, max })),
        }
    }

    /// `AWS_MAX_ATTEMPTS`: attempts per AWS call (5 unless set).
    pub fn aws_max_attempts(&self) -> Result<u32, VarError> {
        Ok(u32::try_from(self.number("AWS_MAX_ATTEMPTS", 5, 1)?).unwrap_or(u32::MAX))
    }

    /// `S3_PATH_STYLE`; by default on when `AWS_ENDPOINT_URL` or `AWS_ENDPOINT_URL_S3` is set
    /// (emulators need path-style addressing).
    pub fn s3_path_style(&self) -> Result<bool, VarError> {
        let endpoint = (self.0)("AWS_ENDPOINT_URL")
            .or_else(|| (self.0)("AWS_ENDPOINT_URL_S3"))
            .is_some();
        self.flag("S3_PATH_STYLE", endpoint)
    }
}
