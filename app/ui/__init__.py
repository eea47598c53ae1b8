# SPDX-License-Identifier: GPL-3.0-or-later
"""The Qt window: the only package that imports PySide6. Thin: views call use cases through `tasks`."""
