-- Curated sklearn/wine: the validated rows with a readable label and a fixed train/test split
-- (every fifth source row is held out), ready for the platform layer's training pipeline.
-- `stage` is the stage partition of the same date.
SELECT
    * EXCLUDE (source_row),
    'class_' || CAST(target AS VARCHAR) AS label,
    CASE WHEN source_row % 5 = 4 THEN 'test' ELSE 'train' END AS split,
    source_row
FROM stage
ORDER BY source_row
