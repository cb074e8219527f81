"""The STAN network, its ablation variants and backbone initialisation.

Import from the modules (``stan.model.build``, ``stan.model.config``...): the package itself
imports nothing, so a script that needs only the VGG16 trunk (the feature cache) does not
depend on the heads' code (the workflow reruns a rule when a module its script imports changes).
"""
