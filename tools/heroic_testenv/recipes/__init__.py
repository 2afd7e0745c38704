"""How each component is fetched or built. Editing a recipe file rebuilds only its component."""
