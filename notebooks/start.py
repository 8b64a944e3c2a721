# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Testing FastAPI apps with pytest and TestClient
#
# **Start here.** This course teaches you to write pytest suites that hold a FastAPI service to
# its promises: calling it in-process with `TestClient`, swapping its dependencies for test
# doubles, testing who may do what, checking what lands in the database, error handlers,
# fixtures, parametrized edge cases, whole-stack and async tests, and the habits that keep a
# suite trustworthy. Every lesson runs in this JupyterLab; every exercise is graded the moment
# you ask.
#
# **How to work through it.** Open a lesson, run its cells from the top (each cell is small, and
# the ones that fail do so on purpose and say so), then do its exercise. The app under test is
# one realistic service, **forge**, in the `forge/` folder: read its code whenever a lesson
# points at it.
#
# **How an exercise is graded, in three sentences.** You write tests in the exercise's
# `%%ipytest` cell, and the grader runs them against the real app and against other correct
# versions of it: a test that fails on any of those is *invalid*, and the score stays 0 until
# none is. Then it runs them against copies of forge with *planted defects*, each a mistake the
# lesson warns about, and your score is the share of defects your tests catch. The feedback says
# which test catches which defect and why a test is invalid, and gives hints one rung at a time.

# %% [markdown]
# COURSE MAP

# %% [markdown]
# ## Your progress
#
# Every time you check an exercise, your best result is kept (in `.progress.json`, in the
# course folder, never shared). Run the cell below to see it.

# %%
from graders.notebook import progress

progress()
