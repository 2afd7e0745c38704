"""What a HeroicCluster should have: heroic.yml per component, configure targets, and the child
objects built from them. Pure: no API calls."""
