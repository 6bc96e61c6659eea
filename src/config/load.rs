//! TODO (being written)
use super::Config;
#[derive(Debug)]
pub struct ConfigError;
pub fn load_file(_path: &std::path::Path) -> Result<Config, ConfigError> { todo!() }
pub fn load_str(_yaml: &str, _source: &std::path::Path) -> Result<Config, ConfigError> { todo!() }
