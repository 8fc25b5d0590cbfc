# -*- coding: latin-1 -*-
"""latin-1 encoded é"""
revision = "aé"
down_revision = None
