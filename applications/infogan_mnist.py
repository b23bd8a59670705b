"""Recipe: InfoGAN on MNIST (the `infogan_mnist` checkpoint), the paper's MNIST setting.

    python applications/infogan_mnist.py --out runs/infogan_mnist

Defaults follow Chen et al. 2016 (appendix C.1) and the released code: 62 noise variables
U(-1, 1), one 10-way categorical code, two continuous codes U(-1, 1), lambda = 1,
Adam(1e-3) for G and Adam(2e-4) for D / Q with beta_1 = 0.5; batch 100 instead of 128
(45 steps per epoch on the 4,500 offline digits). Trained until the FID stops improving
(the published run): an FID check of 2,000 samples every 5 epochs, early stopping after 3
checks without improvement (restoring the best check's weights), at most 300 epochs or 20
minutes; the shipped run stopped at epoch 80 and restored epoch 65 (FID 4.35 on 10,000
samples, code accuracy 84.2%). The model
never sees a label. Trained by `recipe.run` (which measures FID / KID / classes found of
`--eval_samples` (10,000) random samples against the test digits); its `measurements`
hook gets the checkpoint reloaded in float32 and adds, with the zoo's MNIST domain
classifier:
- `categorical_accuracy`: samples are generated with the categorical code cycling
  0..9, the classifier names their digits, and the codes are matched to digits by the
  best one-to-one assignment (Hungarian algorithm on the 10x10 confusion matrix);
- `q_test_accuracy`: the Q head as an unsupervised classifier of the real test digits,
  matched the same way (the paper reports 5% error on the full MNIST);
- traversal grids: rows = the 10 categories; rows = continuous code values from -2 to 2
  (columns = the 10 categories).
"""

import os

import numpy as np
from absl import app, flags
from scipy.optimize import linear_sum_assignment

import recipe

import keras_gan_zoo as kgz

recipe.define_common_flags(epochs=300, batch_size=100, dataset="mnist", fid_every=5,
                           patience=3, max_minutes=20.0)
flags.DEFINE_integer("accuracy_samples", 1000, "Generated images for the code accuracy.")
FLAGS = flags.FLAGS


def best_permutation_accuracy(codes, classes, num_codes, num_classes):
    """Accuracy of codes against classes under the best one-to-one code -> class map."""
    confusion = np.zeros((num_codes, num_classes), "int64")
    np.add.at(confusion, (codes, classes), 1)
    rows, cols = linear_sum_assignment(-confusion)
    mapping = {int(r): int(c) for r, c in zip(rows, cols)}
    return float(confusion[rows, cols].sum() / len(codes)), mapping, confusion


def measure(model, out):
    classifier = kgz.metrics.load_domain_classifier(FLAGS.dataset)
    k = model.categorical_codes[0]
    codes = np.arange(FLAGS.accuracy_samples) % k
    images = model.generate(len(codes), seed=FLAGS.seed, codes={"categorical": codes})
    digits = classifier.predict(images, batch_size=500, verbose=0).argmax(-1)
    accuracy, mapping, confusion = best_permutation_accuracy(codes, digits, k, 10)

    test_images, test_labels = [], []
    for x, y in kgz.datasets.load(FLAGS.dataset, "test", batch_size=500, shuffle=False,
                                  drop_remainder=False, with_labels=True):
        test_images.append(x.numpy())
        test_labels.append(y.numpy())
    q_codes = model.predict_codes(np.concatenate(test_images))["categorical"]
    q_accuracy, q_mapping, _ = best_permutation_accuracy(q_codes, np.concatenate(test_labels),
                                                         k, 10)


    grids = {
        "traversal_categorical": (model.traversal("categorical", seed=FLAGS.seed), 10),
    }
    order = np.array([c for c, _ in sorted(mapping.items(), key=lambda item: item[1])])
    for index in range(model.continuous_codes):
        # Columns: the categories in the order of the digits they were matched to.
        grids[f"traversal_continuous{index}"] = (
            model.traversal(("continuous", index), np.linspace(-2, 2, 9), seed=FLAGS.seed,
                            num_columns=k, fixed={"categorical": order}), k)
    paths = {name: kgz.utils.save_grid(images, os.path.join(out, f"{name}.png"), nrow=nrow)
             for name, (images, nrow) in grids.items()}
    return {
        "categorical_accuracy": round(accuracy, 4),
        "categorical_to_digit": mapping,
        "confusion_code_by_digit": confusion.tolist(),
        "accuracy_samples": int(len(codes)),
        "q_test_accuracy": round(q_accuracy, 4),
        "q_test_images": int(len(q_codes)),
        "grids": paths,
    }


def main(_):
    recipe.run("infogan_mnist", "infogan", measurements=measure)


if __name__ == "__main__":
    app.run(main)
