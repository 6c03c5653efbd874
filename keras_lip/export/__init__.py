"""SavedModel export of two-tower models (`export_saved_model`)."""

from keras_lip.export.saved_model import export_saved_model
