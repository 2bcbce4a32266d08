//! Identifier checks: unified social credit codes, customs codes, GUIDs (being written).
