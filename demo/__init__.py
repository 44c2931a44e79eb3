"""`motcua demo`: the whole hall on one machine (an orchestrator, not a device: no device installs it).

`demo.hall` (the hall's folder, configs, processes and the admin's view), `demo.main` (the scripted morning and the
command), `demo.panel` (the control window). Imports run one way: main -> panel -> hall.
"""
