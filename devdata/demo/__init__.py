"""The demo of the embedded default (``manage.py seed_demo``, run by ``make run``): fictional
users, cases, evidence, proof, partners, meetings, training and packages, each module seeding
its part once through the product's services."""
