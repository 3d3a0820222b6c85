from devdata.scale.seed import (
    INVESTIGATOR_20K,
    INVESTIGATOR_200,
    SCALE_PASSWORD,
    Result,
    seed_scale,
)

__all__ = ["INVESTIGATOR_20K", "INVESTIGATOR_200", "SCALE_PASSWORD", "Result", "seed_scale"]
