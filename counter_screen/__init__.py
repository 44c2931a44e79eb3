"""The counter's own screen: the number being served above each counter, and (on a touchscreen) the citizen's
rating tablet. `motcua counter-screen --config FILE`; docs/counter-screen.md."""
