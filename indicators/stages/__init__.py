"""The indicator pipeline's stages, one module each, run in order by ``indicators.engine``."""
